package service

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/forkscan/forkscan/engine"
)

// Refusals of who may ask and from where, each answered with its HTTP
// status.
var (
	// ErrUnauthorized is a request without the server's token.
	ErrUnauthorized = errors.New("service: a valid token is needed: Authorization: Bearer TOKEN") // 401
	// ErrHostNotServed is a request for a host this server does not
	// serve: what a page of another site sends after DNS rebinding.
	ErrHostNotServed = errors.New("service: this server does not serve that host") // 421
	// ErrCrossSite is a request that would change something, sent by a
	// browser from a page of another site.
	ErrCrossSite = errors.New("service: a page of another site may not change anything here") // 403
	// ErrMediaType is a request that would change something with a body
	// that does not say it is JSON.
	ErrMediaType = errors.New("service: a request body must be JSON, and say so: Content-Type: application/json") // 415
)

// guard decides who may ask, and from where: it is to a request what
// Config.Roots are to a path. Without a token, the authority of a request
// is ambient (anyone who reaches the port), so the guard refuses what a
// web page the user visits could send through the user's browser: a
// request for a host name the server does not serve (DNS rebinding), and
// a change sent from another site (cross-site request forgery). A bearer
// token is not ambient: no page can make a browser attach it, so a
// request that carries it is accepted whatever host and origin it names.
type guard struct {
	token []byte   // "Bearer TOKEN", or nil: no token
	hosts []string // the names of Config.AllowedHosts, normalised
	cross *http.CrossOriginProtection
	log   *slog.Logger
}

func newGuard(token string, hosts []string, log *slog.Logger) *guard {
	g := &guard{hosts: hosts, cross: http.NewCrossOriginProtection(), log: log}
	if token != "" {
		g.token = []byte("Bearer " + token)
	}
	return g
}

// wrap lets through to next the requests the guard accepts, and answers
// the others with their status, logged as warnings.
func (g *guard) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.check(r); err != nil {
			g.log.Warn("refused a request", "reason", err, "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path,
				"host", r.Host, "origin", r.Header.Get("Origin"), "sec-fetch-site", r.Header.Get("Sec-Fetch-Site"),
				"content-type", r.Header.Get("Content-Type"))
			if errors.Is(err, ErrUnauthorized) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="forkscan"`)
			}
			writeError(w, statusOf(err), err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// check returns why r may not go on, or nil.
func (g *guard) check(r *http.Request) error {
	if g.token != nil {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), g.token) != 1 {
			return ErrUnauthorized
		}
	} else {
		if !g.serves(r.Host) {
			return fmt.Errorf("%w: %q (it serves localhost, IP addresses and the names given as allowed hosts)", ErrHostNotServed, r.Host)
		}
		// Origin against Host, and Sec-Fetch-Site: the standard library's
		// rules, which refuse "Origin: null" and same-site requests too.
		if err := g.cross.Check(r); err != nil {
			return fmt.Errorf("%w: %w", ErrCrossSite, err)
		}
	}
	if changes(r) && !jsonOrNothing(r) {
		return fmt.Errorf("%w (not %q)", ErrMediaType, r.Header.Get("Content-Type"))
	}
	return nil
}

// serves reports whether host, a request's Host, is one the server
// answers: a loopback name (localhost and its subdomains, which no DNS
// answers for another), an IP address, or an allowed name. An address
// cannot be rebound: DNS rebinding needs a name whose answer its owner
// changes, and a browser sends as Host the name in the page's URL. So
// any address is safe, which lets probes and scrapers name a pod by its
// IP.
func (g *guard) serves(host string) bool {
	name := hostName(host)
	if name == "" {
		return false
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	return slices.Contains(g.hosts, name)
}

// hostName is the name of a Host header: without its port or brackets,
// in lower case, without a final dot.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// allowedHosts checks and normalises Config.AllowedHosts: names, as a
// Host header holds them, without scheme, port or path.
func allowedHosts(hosts []string) ([]string, error) {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if name == "" || strings.ContainsAny(name, ":/@[]*?# ") {
			return nil, fmt.Errorf("%w: allowed host %q: give a name such as forkscan.example.com, without scheme, port or path", engine.ErrConfig, h)
		}
		out = append(out, name)
	}
	return out, nil
}

// changes reports whether r asks for a change: any method but the safe
// ones.
func changes(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
}

// jsonOrNothing reports whether a request's body says it is JSON, or
// whether it has no body and names no type. A browser's form always
// names one (form-encoded, multipart or text/plain), even empty; a
// request that says application/json from another site needs a CORS
// preflight, which this server never grants.
func jsonOrNothing(r *http.Request) bool {
	types := r.Header.Values("Content-Type")
	if len(types) == 0 {
		return r.ContentLength == 0
	}
	mt, _, err := mime.ParseMediaType(types[0])
	return len(types) == 1 && err == nil && mt == "application/json"
}
