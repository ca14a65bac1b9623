package ipc

// Gather appends to buf one value from ch, waiting for it, then every value
// that is ready at once, up to max values in all. It is how both sides batch
// the wire: a lone value is sent at once, never held back waiting for
// company, and when many are ready they share one message.
//
// Gather returns ok == false, with buf unchanged, when done is closed or ch
// is closed before a first value arrives. A nil done never fires.
func Gather[T any](done <-chan struct{}, ch <-chan T, buf []T, max int) (_ []T, ok bool) {
	select {
	case v, open := <-ch:
		if !open {
			return buf, false
		}
		buf = append(buf, v)
	case <-done:
		return buf, false
	}
	for len(buf) < max {
		select {
		case v, open := <-ch:
			if !open {
				return buf, true
			}
			buf = append(buf, v)
		default:
			return buf, true
		}
	}
	return buf, true
}
