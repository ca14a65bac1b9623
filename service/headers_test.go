package service_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/service"
)

// Every answer tells a browser not to sniff, frame, refer or keep it:
// the API, the results in each format, the status pages, the stylesheet
// (kept an hour), errors, refusals, 404s, the probes, the metrics; and
// the same for what `scan --listen` serves.
func TestAnswersCarryHeaders(t *testing.T) {
	f := start(t, service.Config{}, "")
	tree(t, f.root, map[string]string{"a": "SECRET"})
	id := f.submit(t, service.Request{Paths: []string{f.root}})
	f.wait(t, id)
	cases := []struct {
		call     call
		code     int
		typ      string
		cacheFor string // Cache-Control
	}{
		{call{"GET", "/v1/scans", "", nil, ""}, http.StatusOK, "application/json", ""},
		{call{"GET", "/v1/scans/" + id, "", nil, ""}, http.StatusOK, "application/json", ""},
		{call{"GET", "/v1/scans/" + id + "/results", "", nil, ""}, http.StatusOK, "application/jsonl", ""},
		{call{"GET", "/v1/scans/" + id + "/results?format=sarif", "", nil, ""}, http.StatusOK, "application/sarif+json", ""},
		{call{"GET", "/v1/scans/" + id + "/results?format=text", "", nil, ""}, http.StatusOK, "text/plain", ""},
		{call{"GET", "/v1/stats", "", nil, ""}, http.StatusOK, "application/json", ""},
		{call{"GET", "/", "", nil, ""}, http.StatusOK, "text/html", ""},
		{call{"GET", "/scans/" + id, "", nil, ""}, http.StatusOK, "text/html", ""},
		{call{"GET", "/style.css", "", nil, ""}, http.StatusOK, "text/css", "max-age=3600"},
		{call{"GET", "/v1/scans/0123456789abcdef", "", nil, ""}, http.StatusNotFound, "application/json", ""},
		{call{"GET", "/scans/0123456789abcdef", "", nil, ""}, http.StatusNotFound, "text/plain", ""},
		{call{"GET", "/no/such/page", "", nil, ""}, http.StatusNotFound, "text/plain", ""},
		{call{"PUT", "/v1/scans", "", nil, ""}, http.StatusMethodNotAllowed, "text/plain", ""},
		{call{"GET", "/v1/scans?limit=0", "", nil, ""}, http.StatusBadRequest, "application/json", ""},
		{call{"GET", "/v1/scans", "attacker.example", nil, ""}, http.StatusMisdirectedRequest, "application/json", ""},
		{call{"POST", "/v1/scans", "", map[string]string{"Content-Type": "text/plain"}, "{}"}, http.StatusUnsupportedMediaType, "application/json", ""},
		{call{"GET", "/healthz", "", nil, ""}, http.StatusOK, "text/plain", ""},
		{call{"GET", "/readyz", "", nil, ""}, http.StatusOK, "text/plain", ""},
		{call{"GET", "/metrics", "", nil, ""}, http.StatusOK, "text/plain", ""},
	}
	for _, c := range cases {
		t.Run(c.call.method+" "+c.call.path+" "+c.call.host, func(t *testing.T) {
			resp, body := f.send(t, c.call)
			require.Equal(t, c.code, resp.StatusCode, "%s", body)
			require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), c.typ), "Content-Type %q", resp.Header.Get("Content-Type"))
			requireHeaders(t, resp.Header)
			want := "no-store"
			if c.cacheFor != "" {
				want = c.cacheFor
			}
			require.Equal(t, want, resp.Header.Get("Cache-Control"))
		})
	}

	run := httptest.NewServer(service.MetricsHandler(service.NewMetrics()))
	defer run.Close()
	for _, path := range []string{"/metrics", "/healthz"} {
		resp, err := http.Get(run.URL + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		requireHeaders(t, resp.Header)
	}
}

// requireHeaders checks the headers every answer carries.
func requireHeaders(t *testing.T, h http.Header) {
	t.Helper()
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", h.Get("X-Frame-Options"))
	require.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	require.Equal(t, "same-origin", h.Get("Cross-Origin-Resource-Policy"))
	csp := h.Get("Content-Security-Policy")
	for _, directive := range []string{"default-src 'none'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'none'", "base-uri 'none'"} {
		require.Contains(t, csp, directive)
	}
	require.NotContains(t, csp, "unsafe")
}
