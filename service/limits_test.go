package service_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/service"
)

// exchange sends request on a new connection to addr, and returns what
// the server wrote until it closed the connection. A server that neither
// answers nor closes within a minute has hung: the test fails.
func exchange(t *testing.T, addr, request string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, request)
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(testwait.Bound(time.Minute))))
	answer, err := io.ReadAll(c)
	require.NoError(t, err, "the server neither answered nor closed the connection (read so far: %q)", answer)
	return string(answer)
}

// A client that sends part of a request and then nothing is answered (or
// not, for headers, as Go's server does) and disconnected once its time
// is up, whatever the guard says of the request; nothing is made.
func TestSlowRequestsCut(t *testing.T) {
	limits := service.HTTPLimits{HeaderTimeout: 200 * time.Millisecond, BodyTimeout: 200 * time.Millisecond}
	f := startServing(t, service.Config{}, "", serving{limits: limits})
	host := f.hostOf(t)
	post := func(host, contentType string) string {
		return "POST /v1/scans HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: " + contentType + "\r\nContent-Length: 100\r\n\r\n" + `{"paths": [`
	}
	cases := []struct {
		name, request string
		answer        string // the status line's start; "" for none
	}{
		{"a body that never ends", post(host, "application/json"), "HTTP/1.1 408 "},
		{"a refused body that never ends", post(host, "text/plain"), "HTTP/1.1 415 "},
		{"a foreign host's body that never ends", post("attacker.example", "application/json"), "HTTP/1.1 421 "},
		{"headers that never end", "GET /v1/scans HTTP/1.1\r\nHost: " + host + "\r\nAccept: ", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answer := exchange(t, host, c.request) // it returns once the server has closed
			if c.answer == "" {
				require.Empty(t, answer)
				return
			}
			require.True(t, strings.HasPrefix(answer, c.answer), "%s", answer)
			require.Contains(t, answer, "\r\nConnection: close\r\n")
		})
	}
	require.Empty(t, f.scanIDs(t))
}

// connCounter counts the connections a listener accepts, and how many
// are open: closed sockets, not the server's later word that they are.
type connCounter struct {
	mu                   sync.Mutex
	open, most, accepted int
}

func (c *connCounter) add(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open += n
	c.most = max(c.most, c.open)
	if n > 0 {
		c.accepted++
	}
}

func (c *connCounter) get() (open, most, accepted int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open, c.most, c.accepted
}

// listener is ln, counted.
func (c *connCounter) listener(ln net.Listener) net.Listener { return &countingListener{ln, c} }

type countingListener struct {
	net.Listener
	c *connCounter
}

func (l *countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.c.add(1)
	return &countedConn{Conn: conn, c: l.c}, nil
}

type countedConn struct {
	net.Conn
	c    *connCounter
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.c.add(-1) })
	return err
}

func (c *countedConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

// newClient is a client of its own, keeping up to idle connections to a
// server; its idle ones are closed when the test ends.
func newClient(t *testing.T, idle int) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: idle}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// More connections than the cap, idle: the server holds the cap's number
// and no more; a request beyond waits its turn in the listen queue (it is
// not reset) and is answered once the others close.
func TestConnectionCapHolds(t *testing.T) {
	var conns connCounter
	limits := service.HTTPLimits{MaxConnections: 3, HeaderTimeout: time.Minute} // idle connections keep their slots
	f := startServing(t, service.Config{}, "", serving{limits: limits, wrap: conns.listener})
	var idle []net.Conn
	for range 10 {
		c, err := net.Dial("tcp", f.hostOf(t))
		require.NoError(t, err)
		idle = append(idle, c)
	}
	waitUntil(t, "3 connections accepted", func() bool { _, _, n := conns.get(); return n == 3 })

	answered := make(chan int, 1)
	go func() {
		resp, err := newClient(t, 1).Get(f.http.URL + "/healthz")
		if err != nil {
			answered <- 0
			return
		}
		_ = resp.Body.Close()
		answered <- resp.StatusCode
	}()
	// A negative, over a while: it can pass on a slow machine whatever the
	// cap does, but fails only when the cap lets an eleventh in.
	time.Sleep(200 * time.Millisecond)
	select {
	case code := <-answered:
		t.Fatalf("a request beyond the cap was let in (answered %d)", code)
	default:
	}
	_, most, accepted := conns.get()
	require.Equal(t, 3, most)
	require.Equal(t, 3, accepted)

	for _, c := range idle {
		require.NoError(t, c.Close())
	}
	code := testwait.Chan(t, time.Minute, "an answer to the request beyond the cap, once the others closed", answered)
	require.Equal(t, http.StatusOK, code, "the request beyond the cap was answered once others closed")
	_, most, accepted = conns.get()
	require.Equal(t, 3, most, "never more open than the cap")
	require.Equal(t, 11, accepted)
}

// At the cap, an answer closes its connection, so a client that keeps
// its connections takes turns with those waiting; below it, the
// connection is kept.
func TestAtTheCapAnswersClose(t *testing.T) {
	var conns connCounter
	f := startServing(t, service.Config{}, "", serving{limits: service.HTTPLimits{MaxConnections: 2}, wrap: conns.listener})
	hold, err := net.Dial("tcp", f.hostOf(t))
	require.NoError(t, err)
	waitUntil(t, "the held connection accepted", func() bool { open, _, _ := conns.get(); return open == 1 })
	client := newClient(t, 1)
	resp, err := client.Get(f.http.URL + "/v1/scans")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, resp.Close, "at the cap, the answer closes its connection")

	require.NoError(t, hold.Close())
	waitUntil(t, "every connection closed", func() bool { open, _, _ := conns.get(); return open == 0 })
	resp, err = client.Get(f.http.URL + "/v1/scans")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	require.False(t, resp.Close, "below the cap, the connection is kept")
}

// Many pollers, each keeping its connection, against a cap far below
// their number: every poll is answered, none reset, never more
// connections open than the cap.
func TestPollersBeyondTheCap(t *testing.T) {
	var conns connCounter
	f := startServing(t, service.Config{}, "", serving{limits: service.HTTPLimits{MaxConnections: 4}, wrap: conns.listener})
	const pollers, polls = 40, 10
	client := newClient(t, pollers)
	var wg sync.WaitGroup
	for range pollers {
		wg.Go(func() {
			for range polls {
				resp, err := client.Get(f.http.URL + "/v1/scans?limit=1")
				if err != nil {
					t.Errorf("a poll failed: %v", err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("a poll was answered %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	_, most, accepted := conns.get()
	require.LessOrEqual(t, most, 4)
	t.Logf("%d polls over %d connections, at most %d open at once", pollers*polls, accepted, most)
}
