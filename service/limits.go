package service

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// HTTPLimits bound what a client may hold of a forkscan HTTP server: how
// long it may take to send a request, how long its idle connection is
// kept, how large its headers may be, and how many connections are open
// at once. They are to the connections what Config.MaxQueued is to the
// scans. Make the server with Server and wrap its listener with Listener.
// The zero value is the defaults; a negative value takes a bound away.
//
// There is no time limit on writing an answer: `results?follow=1`
// streams for as long as its scan runs.
type HTTPLimits struct {
	// HeaderTimeout is how long a client may take to send a request's
	// headers; a slower one is disconnected. If zero, 10s.
	HeaderTimeout time.Duration
	// BodyTimeout is how long a client may take to send a request's
	// body, counted from the end of its headers. A slower one is answered
	// 408 (ErrSlowBody), or refused as it would have been, and
	// disconnected. A body of the most a server takes, 1 MiB, comes in
	// 30s at 35 KB/s. If zero, 30s.
	BodyTimeout time.Duration
	// IdleTimeout is how long a connection is kept open waiting for its
	// next request. If zero, 2m: longer than a client keeps its own idle
	// connections (Go's 90s, a load balancer's usual 60s), so the client
	// closes first and never sends a request into a closing connection.
	IdleTimeout time.Duration
	// MaxHeaderBytes is the most bytes a request's headers may take; more
	// is answered 431. If zero, 64 KiB; negative: Go's 1 MiB.
	MaxHeaderBytes int
	// MaxConnections is the most connections open at once: each costs a
	// file descriptor, a goroutine and its buffers, 9 KiB idle between
	// requests and 14 KiB waiting for its first (measured over 500), so
	// 512 take 7 MiB at most. A connection beyond waits in the kernel's
	// listen queue until one closes; it is never reset. At the cap every
	// answer closes its connection (Connection: close), so clients take
	// turns rather than the first ones keeping theirs. If zero, 512.
	MaxConnections int
}

// ErrSlowBody is a request whose body did not come within
// HTTPLimits.BodyTimeout.
var ErrSlowBody = errors.New("service: the request's body did not come in time") // 408

// withDefaults is l with its zero fields set to the defaults.
func (l HTTPLimits) withDefaults() HTTPLimits {
	l.HeaderTimeout = cmp.Or(l.HeaderTimeout, 10*time.Second)
	l.BodyTimeout = cmp.Or(l.BodyTimeout, 30*time.Second)
	l.IdleTimeout = cmp.Or(l.IdleTimeout, 2*time.Minute)
	l.MaxHeaderBytes = cmp.Or(l.MaxHeaderBytes, 64<<10)
	l.MaxConnections = cmp.Or(l.MaxConnections, 512)
	return l
}

// Server is an http.Server for h within l. Serve it on a listener
// wrapped by l.Listener: the cap is the listener's, and the server
// closes its connections at the cap.
func (l HTTPLimits) Server(h http.Handler) *http.Server {
	l = l.withDefaults()
	return &http.Server{
		Handler:           l.bound(h),
		ReadHeaderTimeout: l.HeaderTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if cc, ok := c.(*cappedConn); ok {
				return context.WithValue(ctx, capKey{}, cc.l)
			}
			return ctx
		},
	}
}

// bound gives h's requests their body's time limit and, at the cap,
// closes their connections after the answer. Not a global ReadTimeout:
// that would also end, as a read that timed out, the server's wait for
// a streaming client to go away, and cancel the stream.
func (l HTTPLimits) bound(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(capKey{}).(*capListener); ok && c.full() {
			w.Header().Set("Connection", "close")
		}
		if l.BodyTimeout > 0 && r.ContentLength != 0 {
			rc := http.NewResponseController(w)
			if rc.SetReadDeadline(time.Now().Add(l.BodyTimeout)) == nil {
				r = r.WithContext(r.Context()) // a copy, its Body ours to wrap
				r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the body's read deadline once the body is in: the
// server's later reads on the connection (watching for the client to go
// while a handler runs, the next request) have bounds of their own.
type deadlineBody struct {
	io.ReadCloser
	rc  *http.ResponseController
	end bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.end {
		b.end = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// Listener is ln holding at most l.MaxConnections connections at once
// (none: ln itself). Unlike x/net's netutil.LimitListener, its
// connections keep TCP's CloseWrite, with which the server ends an
// answer before it closes (a FIN, not a reset, for a client still
// sending), and the server can tell when it is at the cap.
func (l HTTPLimits) Listener(ln net.Listener) net.Listener {
	l = l.withDefaults()
	if l.MaxConnections < 0 {
		return ln
	}
	return &capListener{Listener: ln, slots: make(chan struct{}, l.MaxConnections), closed: make(chan struct{})}
}

type capKey struct{}

// capListener takes a slot before it accepts a connection, and the
// connection gives it back when it closes.
type capListener struct {
	net.Listener
	slots     chan struct{}
	open      atomic.Int64
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *capListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	l.open.Add(1)
	return &cappedConn{Conn: c, l: l}, nil
}

func (l *capListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// full reports whether every slot holds an open connection.
func (l *capListener) full() bool { return l.open.Load() >= int64(cap(l.slots)) }

type cappedConn struct {
	net.Conn
	l    *capListener
	once sync.Once
}

func (c *cappedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		<-c.l.slots
	})
	return err
}

// CloseWrite half-closes a TCP connection, as http.Server does before it
// closes one.
func (c *cappedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
