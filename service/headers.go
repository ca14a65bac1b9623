package service

import "net/http"

// contentPolicy is the Content-Security-Policy of every answer. The
// status page is the only HTML: server-rendered, no script, its one
// stylesheet /style.css, refreshed by a meta refresh (which a policy does
// not govern). So nothing but that stylesheet may load, no page may frame
// it, no form may post from it, and no <base> may redirect its links.
const contentPolicy = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// withHeaders sets on every answer what a browser needs to be told: not
// to guess a type other than the one named (a JSON error rendered as
// HTML), the content policy above, not to frame it (X-Frame-Options for
// browsers older than frame-ancestors), to send no Referer from its
// links, to let no other site embed it, and to keep no copy: scans and
// their records change, and are nobody else's to cache.
func withHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", contentPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
