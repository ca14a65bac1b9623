// Command forkscan scans directory trees with registered scanners in N
// worker processes and writes one record per (file, scanner): by default
// the secrets scanner (gitleaks' rules), as text on a terminal and JSON
// lines into a pipe or a file, or SARIF.
//
// It is the wiring of the library's packages: tree walks, engine runs the
// workers, output writes, resume carries on a stopped scan.
//
//	forkscan scan [flags] PATH...   scan trees, one record per (file, scanner)
//	forkscan git [flags] [REPO]     scan a repository's history (or --staged changes), one record per (commit, scanner)
//	forkscan merge SHARD-OUTPUT...  join the outputs of a scan's shards (scan --shard I/N)
//	forkscan serve --root DIR       run scans submitted over HTTP
//	forkscan scanners               list the scanners this binary has
//	forkscan version                print the version
//
// Exit codes of scan: 0 done with no findings, 1 done with findings, 2 usage
// or configuration error, 3 done but some files failed, 4 the workers could
// not be started, 130 interrupted.
package main

import (
	"context"
	"os"

	"github.com/forkscan/forkscan/worker"
	_ "github.com/forkscan/forkscan/worker/scan/external"
	_ "github.com/forkscan/forkscan/worker/scan/inventory"
	_ "github.com/forkscan/forkscan/worker/scan/secrets"
)

func main() {
	worker.Main() // in a worker process, serves and never returns
	os.Exit(execute(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
