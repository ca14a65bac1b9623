package main

import (
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/history"
	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/scanrun"
	"github.com/forkscan/forkscan/shutdown"
	"github.com/forkscan/forkscan/tree"
)

// The split of a history's huge commits: a commit writing more bytes or
// files than these is scanned in parts, each its own job, so that one
// commit cannot hold one worker while the others idle.
const (
	partBytes = 8 << 20
	partFiles = 1000
)

// gitFlags are the flags `forkscan git` adds to scan's.
type gitFlags struct {
	logOpts   string
	staged    bool
	preCommit bool
}

func (g *gitFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&g.logOpts, "log-opts", "", "which commits to scan, as git revision arguments: 'main~100..main', '--since=2024-01-01 --branches' (default: every commit of every ref, --all)")
	fl.BoolVar(&g.staged, "staged", false, "scan the staged changes (what git diff --cached shows), not the history")
	fl.BoolVar(&g.preCommit, "pre-commit", false, "scan the uncommitted changes of the work tree (what git diff shows), not the history")
}

func gitCommand(code *int, line []string) *cobra.Command {
	f := scanFlags{notice: &notices{}, line: line}
	var g gitFlags
	cmd := &cobra.Command{
		Use:   "git [flags] [REPO]",
		Short: "Scan a git repository's history: the lines each commit adds",
		Long: `Git scans what the commits of the repository at REPO (default: the current
directory) add, as gitleaks git does: the lines each commit's patch adds
to each file (git log -p -U0 --full-history --all), so that a secret
committed and removed later is still found. Findings name the commit, its
author, date and message, and the file and line.

The commits are dealt to the worker processes largest first, a commit
that writes more than 8 MiB or 1000 files in parts, each worker reading
patches through its own git. --log-opts takes git revision arguments to
scan less; options that are not (--output, --ext-diff, a pathspec) are
refused. Nothing the repository configures runs: no hooks, filters,
external diffs, textconv or fsmonitor.

--staged scans what is staged (git diff --cached), --pre-commit what the
work tree changes (git diff): for a pre-commit hook, exit 1 refusing the
commit when there is a finding.

Exit codes, Ctrl-C, --resume and --shard are as for scan: a resumed scan
scans only the commits its output has no record of, and drops the records
of commits its revisions no longer reach; shards split the history by
commit.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo := "."
			if len(args) == 1 {
				repo = args[0]
			}
			if err := f.loadConfig(cmd.Flags(), []string{repo}); err != nil {
				*code = exitUsage
				return err
			}
			f.scannersGiven = cmd.Flags().Changed("scanner")
			c, err := runGit(cmd.Context(), f, g, repo, cmd.OutOrStdout(), cmd.ErrOrStderr())
			*code = c
			return err
		},
	}
	f.register(cmd.Flags())
	f.shard.register(cmd.Flags())
	g.register(cmd.Flags())
	return cmd
}

// runGit runs one scan of a repository's history and returns its exit
// code.
func runGit(ctx context.Context, f scanFlags, g gitFlags, path string, stdout, stderr io.Writer) (int, error) {
	if err := g.check(f); err != nil {
		return exitUsage, err
	}
	revs, err := history.ParseRevisions(g.logOpts)
	if err != nil {
		return exitUsage, usageErr("--log-opts: %w", err)
	}
	repo, err := history.Open(ctx, path)
	if err != nil {
		return exitUsage, usageErr("%w", err)
	}
	if err := repo.CheckRevisions(ctx, revs); err != nil {
		return exitUsage, usageErr("--log-opts: %w", err)
	}
	f.settingsExtra = strings.Join(append([]string{"history", g.pending()}, revs...), " ")
	cfg, err := f.config([]string{repo.Dir})
	f.notice.print(stderr)
	if err != nil {
		return exitUsage, err
	}
	cfg.History, cfg.HistoryPartBytes, cfg.HistoryPartFiles = true, partBytes, partFiles
	shard, err := f.shard.resolve(os.Getenv)
	if err != nil {
		return exitUsage, err
	}
	if shard.Count > 0 && shard.Split() != tree.ByHash {
		return exitUsage, usageErr("--shard-by %s: a history is split by commit (hash) only", shard.Split())
	}
	stop := &stopping{w: stderr, grace: cfg.Grace}
	ctx, signals := shutdown.Catch(ctx, stop.say)
	defer signals.Stop()
	walk := &scanrun.History{Repo: repo, Revisions: revs, Split: splitOf(cfg), Pending: g.pending(), Shard: shard, Ctx: ctx}
	p := plan{cfg: cfg, shard: shard, roots: []string{repo.Dir}, walk: walk, whole: g.pending() != "", stop: stop, reached: scanrun.Histories{walk}.Reached}
	if f.format == output.SARIF {
		p.repo = repository(ctx, repo) // three more gits: only SARIF names them
	}
	return runWalk(ctx, signals, f, p, stdout, stderr)
}

// check refuses flags that do not go together, or that are a tree's.
func (g gitFlags) check(f scanFlags) error {
	switch {
	case g.staged && g.preCommit:
		return usageErr("--staged and --pre-commit: give one (staged changes, or the work tree's)")
	case (g.staged || g.preCommit) && g.logOpts != "":
		return usageErr("--log-opts scans commits; --staged and --pre-commit scan changes not yet committed")
	case (g.staged || g.preCommit) && (f.resume || f.shard.shard != "" || f.shard.count > 0):
		return usageErr("--resume and --shard are for histories, not for changes not yet committed")
	case len(f.include) > 0 || len(f.exclude) > 0 || f.noIgnore:
		return usageErr("--include, --exclude and --no-ignore choose the files of a tree; git scans every file a commit changes (a gitleaks config's allowlist can skip paths)")
	}
	return nil
}

// pending is the job of uncommitted changes the flags ask for, if any.
func (g gitFlags) pending() string {
	switch {
	case g.staged:
		return history.Staged
	case g.preCommit:
		return history.Uncommitted
	}
	return ""
}

func splitOf(cfg engine.Config) history.Split {
	return history.Split{Bytes: cfg.HistoryPartBytes, Files: cfg.HistoryPartFiles, MaxFile: cfg.MaxFileSize}
}

// repository is how SARIF names the scanned repository: its origin's
// URL without credentials, or its directory's file URI.
func repository(ctx context.Context, r *history.Repo) *output.Repository {
	head, branch := r.Head(ctx)
	out := &output.Repository{URI: (&url.URL{Scheme: "file", Path: filepath.ToSlash(r.Dir)}).String(), Revision: head, Branch: branch}
	if remote := r.Remote(ctx, "origin"); remote != "" {
		out.URI = remote
	}
	return out
}
