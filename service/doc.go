// Package service is forkscan as a service (`forkscan serve`): scans
// submitted over HTTP, run one after another (or a few at once) on the
// engine, and carried on across the server's own restarts.
//
// Two of the designs forkscan began from were services. One submitted
// scans as background jobs and answered statistics and a health check
// from memory; the other wrote each job's progress to status files,
// atomically, and deleted old jobs after a day. This package keeps what
// both wanted and loses nothing when the process dies: a scan's state is
// a row of an embedded SQLite database (modernc.org/sqlite, no cgo), its
// records a JSON lines file appended in whole lines exactly as `forkscan
// scan -o` writes one. A server that starts and finds scans it was
// running carries them on with package resume's rules, so a scan ends
// with exactly one record per (file, scanner) however often the server
// died under it; but a scan it died under more often than
// Config.MaxCarryOns allows ends failed instead, so that a scan that
// brings the server down is not carried on for ever.
//
// It is to forkscan scan what a CI server is to make: the same run (see
// package scanrun), behind a queue, a database and an HTTP API, with
// Prometheus metrics (client_golang, a registry of the server's own) and
// a status page rendered on the server. It knows nothing of flags: the
// CLI turns them into a Config.
//
// A request names paths, scanners and tools; never a command line. Its
// paths must lie inside Config.Roots once symlinks are resolved.
//
// A server on loopback without a token trusts whoever reaches its port,
// and a web page the user visits can, through the user's browser. So it
// answers only the host names it serves, as a web server's virtual hosts
// do (a page that rebinds its own name to 127.0.0.1 is answered 421), and
// refuses a change sent from another site as a form guarded against
// cross-site request forgery does: by Origin and Sec-Fetch-Site, with
// net/http's CrossOriginProtection (403), and a body a form can send
// (415). HTTPLimits bound what one client may hold of the server, as
// nginx's client_header_timeout, client_body_timeout, keepalive_timeout
// and worker_connections do.
package service
