package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/forkscan/forkscan/service"
	"github.com/forkscan/forkscan/shutdown"
)

// serveFlags are serve's own flags; the scan flags that set how scans run
// (workers, tasks, time limits, --limit, [[exec]] tools) come beside them.
type serveFlags struct {
	data      string
	roots     []string
	maxScans  int
	maxQueued int
	retain    time.Duration
	carryOns  int
	tokenFile string
	hosts     []string
	remotes   []string
	maxConns  int
}

func (s *serveFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.data, "data", "forkscan-data", "directory of the server's state: its database and each scan's records")
	fl.StringArrayVar(&s.roots, "root", nil, "a tree clients may scan (repeatable; at least one)")
	fl.IntVar(&s.maxScans, "max-scans", 1, "scans running at once")
	fl.IntVar(&s.maxQueued, "max-queued", 64, "scans waiting; one more is answered 429")
	fl.DurationVar(&s.retain, "retain", 24*time.Hour, "remove scans this long after they ended (0: the default, 24h; negative: never)")
	fl.IntVar(&s.carryOns, "max-carry-ons", 3, "carry a scan on at most this many times after the server died under it, then fail it (0: the default, 3; negative: no limit; a stop by SIGTERM or SIGINT does not count)")
	fl.StringVar(&s.tokenFile, "token-file", "", "file holding the token clients must send (Authorization: Bearer TOKEN)")
	fl.StringArrayVar(&s.remotes, "git-remote", nil, "a pattern of remote repository URLs clients may ask to clone and scan the history of: https://github.com/acme/** (repeatable; https, http, ssh and git URLs only; none by default)")
	fl.StringArrayVar(&s.hosts, "allow-host", nil, "a host name clients may reach the server by, beside localhost and IP addresses (repeatable)")
	fl.IntVar(&s.maxConns, "max-connections", 512, "connections open at once; more wait their turn (0: the default, 512; negative: no cap)")
}

func serveCommand(code *int) *cobra.Command {
	var f scanFlags
	var s serveFlags
	cmd := &cobra.Command{
		Use:   "serve --root DIR [flags]",
		Short: "Run scans submitted over HTTP, kept across restarts",
		Long: `Serve answers an HTTP API (see the README): POST /v1/scans to scan paths
inside a --root, GET /v1/scans/ID for progress, /v1/scans/ID/results for the
records (jsonl, sarif, text), /v1/stats, /metrics (Prometheus), /healthz,
/readyz, and a status page at /. Scans run as forkscan scan runs them, at
most --max-scans at once; their state is kept in --data (SQLite), their
records in a JSON lines file each. A scan the server was running when it
stopped (killed, rebooted) is carried on at its next start, with --resume's
rules, at most --max-carry-ons times: a scan the server keeps dying under
ends failed. SIGINT or SIGTERM stops the running scans in phases and exits;
they are carried on at the next start, and that does not count.

The flags of forkscan scan that say how scans run apply to every scan.
A forkscan.toml given with --config may hold them, and serve's own flags
in a [serve] table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.loadConfig(cmd.Flags(), nil); err != nil {
				*code = exitUsage
				return err
			}
			err := runServe(cmd.Context(), f, s, cmd.ErrOrStderr())
			*code = exitOK
			if err != nil {
				*code = exitUsage
				var e *exitError
				if errors.As(err, &e) {
					*code = e.code
				}
			}
			return err
		},
	}
	f.registerServe(cmd.Flags())
	s.register(cmd.Flags())
	listen := cmd.Flags().Lookup("listen") // scan's flag, serve's address
	listen.Usage, listen.DefValue = "address to serve on (one that is not loopback needs --token-file)", defaultListen
	f.listen = defaultListen
	return cmd
}

// notServe are scan's flags that mean nothing to a server: where records
// go and how they look are each client's choice (GET .../results?format=),
// and each request names its own files (its include and exclude).
var notServe = []string{"format", "color", "output", "progress", "no-progress",
	"resume", "force", "include", "exclude", "no-ignore"}

// registerServe defines scan's flags that serve takes: those that say how
// scans run. The others are not defined at all, so that giving one is a
// usage error rather than a setting silently ignored.
func (f *scanFlags) registerServe(fl *pflag.FlagSet) {
	all := pflag.NewFlagSet("scan", pflag.ContinueOnError)
	f.register(all) // sets every default, the left-out flags' too
	all.VisitAll(func(flag *pflag.Flag) {
		if !slices.Contains(notServe, flag.Name) {
			fl.AddFlag(flag)
		}
	})
}

// defaultListen is where serve listens unless told.
const defaultListen = "127.0.0.1:7780"

// runServe runs the server until a signal.
func runServe(ctx context.Context, f scanFlags, s serveFlags, stderr io.Writer) error {
	if len(s.roots) == 0 {
		return usageErr("serve: name at least one --root")
	}
	token, err := readToken(s.tokenFile)
	if err != nil {
		return err
	}
	if !loopback(f.listen) && token == "" {
		return usageErr("--listen %s is not a loopback address: it needs --token-file", f.listen)
	}
	cfg, err := f.config(s.roots)
	if err != nil {
		return err
	}
	limits, _ := parseLimits(f.limits) // checked by config
	ctx, signals := shutdown.Catch(ctx, func(sig os.Signal, again bool) {
		fmt.Fprintf(stderr, "forkscan serve: %v: stopping the running scans\n", sig)
	})
	defer signals.Stop()
	log := cfg.Logger // -v: debug details
	if !f.verbose {   // a server says what it does and refuses
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	srv, err := service.New(ctx, service.Config{Data: s.data, Roots: s.roots, MaxScans: s.maxScans, MaxQueued: s.maxQueued,
		Retain: s.retain, MaxCarryOns: s.carryOns, Engine: cfg, Tools: f.tools, Limits: limits, AllowedHosts: s.hosts, Logger: log,
		GitRemotes:    s.remotes,
		SecretsConfig: f.secretsConfig, NoRedact: f.noRedact})
	if err != nil { // a root, the data directory, its database: the operator's to mend
		return usageErr("serve: %w", err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil { // the address is taken, or not this host's
		return usageErr("serve: --listen %s: %w", f.listen, err)
	}
	bounds := service.HTTPLimits{MaxConnections: s.maxConns}
	hs := bounds.Server(srv.Handler(token))
	go func() { _ = hs.Serve(bounds.Listener(ln)) }()
	fmt.Fprintf(stderr, "forkscan serve: listening on http://%s\n", ln.Addr())
	runErr := srv.Run(ctx)
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(shut)
	return runErr
}

// readToken reads the token file, if one is named.
func readToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", usageErr("--token-file: %w", err)
	}
	token := strings.TrimSpace(string(data))
	if len(token) < 16 {
		return "", usageErr("--token-file: the token must have at least 16 characters")
	}
	return token, nil
}

// loopback reports whether addr listens on a loopback address only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
