package service

// FailUpdates makes each update of a scan's row ask fail first, and fail
// with its error, until the returned func is called.
func FailUpdates(fail func(*Scan) error) (heal func()) {
	updateFault.Store(&fail)
	return func() { updateFault.Store(nil) }
}
