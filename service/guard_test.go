package service_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/service"
)

// call is a request as a browser, a page or curl could send it.
type call struct {
	method, path string
	host         string            // the Host header; "" for the server's address
	header       map[string]string // Content-Type, Origin, Sec-Fetch-Site, Authorization
	body         string
}

// send sends c to the fixture's server and returns its answer, its body read.
func (f *fixture) send(t *testing.T, c call) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(c.method, f.http.URL+c.path, strings.NewReader(c.body))
	require.NoError(t, err)
	if c.host != "" {
		req.Host = c.host
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// hostOf is the host:port of the fixture's server.
func (f *fixture) hostOf(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(f.http.URL)
	require.NoError(t, err)
	return u.Host
}

// scanIDs lists the ids of the server's scans, and their states.
func (f *fixture) scanIDs(t *testing.T) map[string]service.State {
	t.Helper()
	code, body := f.do(t, "GET", "/v1/scans", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	var list struct{ Scans []service.Scan }
	require.NoError(t, json.Unmarshal(body, &list))
	out := map[string]service.State{}
	for _, sc := range list.Scans {
		out[sc.ID] = sc.State
	}
	return out
}

const jsonType = "application/json"

// What a web page could make the user's browser send, each refused with
// its status and nothing made or changed: a request for a host name that
// is not the server's (DNS rebinding: reads refused too), a change from
// another site (by Origin, Origin: null or Sec-Fetch-Site), a body a
// form can send. After them, the same scans, in the same states.
func TestForeignRequestsRefused(t *testing.T) {
	gate := t.TempDir() // the running scan is held on hold.txt until cancelled
	t.Setenv(gateEnv, gate)
	f := start(t, service.Config{}, "")
	small := filepath.Join(f.root, "small")
	tree(t, small, map[string]string{"a": "SECRET"})
	tree(t, filepath.Join(f.root, "big"), map[string]string{"hold.txt": "x\n"}) // held: it runs throughout
	ended := f.submit(t, service.Request{Paths: []string{small}})
	f.wait(t, ended)
	running := f.submit(t, service.Request{Paths: []string{filepath.Join(f.root, "big")}, Scanners: []string{"gate"}})
	waitFor(t, filepath.Join(gate, "holding"))
	before := f.scanIDs(t)
	submit := `{"paths": ["` + small + `"]}`
	self := "http://" + f.hostOf(t)
	cases := []struct {
		name string
		call call
		code int
	}{
		{"a foreign host submits (the page's own case)", call{"POST", "/v1/scans", "attacker.example:7780",
			map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example"}, submit}, http.StatusMisdirectedRequest},
		{"a foreign host submits JSON", call{"POST", "/v1/scans", "attacker.example", map[string]string{"Content-Type": jsonType}, submit}, http.StatusMisdirectedRequest},
		{"a foreign host cancels", call{"POST", "/v1/scans/" + running + "/cancel", "attacker.example:7780", nil, ""}, http.StatusMisdirectedRequest},
		{"a foreign host deletes", call{"DELETE", "/v1/scans/" + ended, "attacker.example:7780", nil, ""}, http.StatusMisdirectedRequest},
		{"a foreign host lists the scans", call{"GET", "/v1/scans", "attacker.example:7780", nil, ""}, http.StatusMisdirectedRequest},
		{"a foreign host reads the results", call{"GET", "/v1/scans/" + ended + "/results", "attacker.example", nil, ""}, http.StatusMisdirectedRequest},
		{"a foreign host reads the status page", call{"GET", "/", "attacker.example", nil, ""}, http.StatusMisdirectedRequest},
		{"a foreign host reads the metrics", call{"GET", "/metrics", "attacker.example", nil, ""}, http.StatusMisdirectedRequest},
		{"a localhost look-alike", call{"GET", "/v1/scans", "localhost.attacker.example", nil, ""}, http.StatusMisdirectedRequest},
		{"a foreign origin submits", call{"POST", "/v1/scans", "", map[string]string{"Content-Type": jsonType, "Origin": "https://evil.example"}, submit}, http.StatusForbidden},
		{"a foreign origin cancels", call{"POST", "/v1/scans/" + running + "/cancel", "", map[string]string{"Origin": "https://evil.example"}, ""}, http.StatusForbidden},
		{"a foreign origin deletes", call{"DELETE", "/v1/scans/" + ended, "", map[string]string{"Origin": "https://evil.example"}, ""}, http.StatusForbidden},
		{"another port of the same host", call{"POST", "/v1/scans", "", map[string]string{"Content-Type": jsonType, "Origin": "http://127.0.0.1:1"}, submit}, http.StatusForbidden},
		{"Origin: null (a sandboxed frame, a file)", call{"POST", "/v1/scans", "", map[string]string{"Content-Type": jsonType, "Origin": "null"}, submit}, http.StatusForbidden},
		{"Sec-Fetch-Site: cross-site", call{"POST", "/v1/scans", "", map[string]string{"Content-Type": jsonType, "Sec-Fetch-Site": "cross-site"}, submit}, http.StatusForbidden},
		{"Sec-Fetch-Site: same-site", call{"POST", "/v1/scans/" + running + "/cancel", "", map[string]string{"Sec-Fetch-Site": "same-site"}, ""}, http.StatusForbidden},
		{"Sec-Fetch-Site wins over a matching Origin", call{"DELETE", "/v1/scans/" + ended, "", map[string]string{"Origin": self, "Sec-Fetch-Site": "cross-site"}, ""}, http.StatusForbidden},
		{"a text/plain body", call{"POST", "/v1/scans", "", map[string]string{"Content-Type": "text/plain"}, submit}, http.StatusUnsupportedMediaType},
		{"a form-encoded body", call{"POST", "/v1/scans", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "paths=" + small}, http.StatusUnsupportedMediaType},
		{"a multipart body", call{"POST", "/v1/scans", "", map[string]string{"Content-Type": "multipart/form-data; boundary=x"},
			"--x\r\nContent-Disposition: form-data; name=\"paths\"\r\n\r\n" + small + "\r\n--x--\r\n"}, http.StatusUnsupportedMediaType},
		{"a body of no type", call{"POST", "/v1/scans", "", nil, submit}, http.StatusUnsupportedMediaType},
		{"JSON of another name", call{"POST", "/v1/scans", "", map[string]string{"Content-Type": "text/json"}, submit}, http.StatusUnsupportedMediaType},
		{"an empty form cancels", call{"POST", "/v1/scans/" + running + "/cancel", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, ""}, http.StatusUnsupportedMediaType},
		{"a text/plain cancel", call{"POST", "/v1/scans/" + running + "/cancel", "", map[string]string{"Content-Type": "text/plain"}, "x"}, http.StatusUnsupportedMediaType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := f.send(t, c.call)
			require.Equal(t, c.code, resp.StatusCode, "%s", body)
			require.Contains(t, body, `"error"`)
		})
	}
	answer := exchange(t, f.hostOf(t), "GET /v1/scans HTTP/1.0\r\n\r\n") // no Host at all
	require.True(t, strings.HasPrefix(answer, "HTTP/1.0 421 "), "%s", answer)
	require.Equal(t, before, f.scanIDs(t), "a refused request made or changed a scan")
	require.Equal(t, service.Running, f.get(t, running).State)

	// The same, from where they may come, accepted.
	port := strings.TrimPrefix(f.hostOf(t), "127.0.0.1")
	accepted := []struct {
		name string
		call call
		code int
	}{
		{"localhost", call{"POST", "/v1/scans", "localhost" + port, map[string]string{"Content-Type": jsonType}, submit}, http.StatusCreated},
		{"a subdomain of localhost", call{"GET", "/v1/scans", "forkscan.localhost" + port, nil, ""}, http.StatusOK},
		{"another loopback address", call{"GET", "/v1/scans", "127.0.0.2" + port, nil, ""}, http.StatusOK},
		{"IPv6 loopback", call{"GET", "/", "[::1]" + port, nil, ""}, http.StatusOK},
		{"a pod's address (a probe, a scraper)", call{"GET", "/metrics", "10.1.2.3:7780", nil, ""}, http.StatusOK},
		{"a probe from any host", call{"GET", "/healthz", "attacker.example", nil, ""}, http.StatusOK},
		{"the server's own page (Origin and Sec-Fetch-Site)", call{"POST", "/v1/scans", "", map[string]string{"Content-Type": "application/json; charset=utf-8",
			"Origin": self, "Sec-Fetch-Site": "same-origin"}, submit}, http.StatusCreated},
		{"Sec-Fetch-Site: none (the user's own act)", call{"DELETE", "/v1/scans/" + ended, "", map[string]string{"Sec-Fetch-Site": "none"}, ""}, http.StatusNoContent},
		{"curl -XPOST with no body", call{"POST", "/v1/scans/" + running + "/cancel", "", nil, ""}, http.StatusOK},
	}
	for _, c := range accepted {
		t.Run(c.name, func(t *testing.T) {
			resp, body := f.send(t, c.call)
			require.Equal(t, c.code, resp.StatusCode, "%s", body)
		})
	}
	after := f.scanIDs(t)
	require.Len(t, after, len(before)+1) // two made, one deleted
	require.NotContains(t, after, ended)
	require.Equal(t, service.Cancelled, after[running])
}

// Names the operator allows are served, in any case and with a final
// dot; with a token, a request that carries it is accepted from any host
// and origin (no page can make a browser send it), one that does not is
// 401, and a body must still say it is JSON.
func TestAllowedHostsAndToken(t *testing.T) {
	f := start(t, service.Config{AllowedHosts: []string{"Forkscan.Example"}}, "")
	for _, host := range []string{"forkscan.example", "FORKSCAN.example.:7780"} {
		resp, body := f.send(t, call{"GET", "/v1/scans", host, nil, ""})
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", host, body)
	}
	resp, _ := f.send(t, call{"GET", "/v1/scans", "sub.forkscan.example", nil, ""})
	require.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode, "a name allows itself, not its subdomains")

	const token = "a-token-of-sixteen-or-more"
	g := start(t, service.Config{}, token)
	tree(t, g.root, map[string]string{"a": "x"})
	submit := `{"paths": ["` + g.root + `"]}`
	bearer := "Bearer " + token
	cases := []struct {
		name string
		call call
		code int
	}{
		{"the token from a foreign host", call{"POST", "/v1/scans", "attacker.example:7780", map[string]string{"Authorization": bearer, "Content-Type": jsonType}, submit}, http.StatusCreated},
		{"the token from a foreign origin", call{"POST", "/v1/scans", "", map[string]string{"Authorization": bearer, "Content-Type": jsonType,
			"Origin": "https://tool.example", "Sec-Fetch-Site": "cross-site"}, submit}, http.StatusCreated},
		{"a foreign host without the token", call{"GET", "/v1/scans", "attacker.example", nil, ""}, http.StatusUnauthorized},
		{"loopback without the token", call{"GET", "/v1/scans", "", nil, ""}, http.StatusUnauthorized},
		{"the token with a text/plain body", call{"POST", "/v1/scans", "", map[string]string{"Authorization": bearer, "Content-Type": "text/plain"}, submit}, http.StatusUnsupportedMediaType},
		{"a probe needs no token", call{"GET", "/readyz", "attacker.example", nil, ""}, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := g.send(t, c.call)
			require.Equal(t, c.code, resp.StatusCode, "%s", body)
		})
	}
	require.Len(t, g.scanIDs(t), 2)

	_, err := service.New(t.Context(), service.Config{Data: t.TempDir(), Roots: []string{t.TempDir()}, AllowedHosts: []string{"https://forkscan.example"}})
	require.ErrorContains(t, err, "without scheme, port or path")
}
