package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/internal/gittest"
	"github.com/forkscan/forkscan/internal/realtool"
)

// TestPreCommitRefusesAStagedSecret runs the real pre-commit with the
// hooks of the repository's .pre-commit-hooks.yaml: a commit whose staged
// changes hold a secret is refused, a clean one goes through.
func TestPreCommitRefusesAStagedSecret(t *testing.T) {
	preCommit := realtool.Need(t, "pre-commit")
	manifest, err := os.ReadFile(filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	require.NoError(t, err)
	run := func(g *gittest.Repo, env []string, name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir = g.Dir
		cmd.Env = append(g.Cmd().Env, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := exec.Command(preCommit, "validate-manifest", filepath.Join("..", "..", ".pre-commit-hooks.yaml")).CombinedOutput(); err != nil {
		t.Fatalf("pre-commit validate-manifest: %v\n%s", err, out)
	}

	hooks := gittest.New(t) // the hook repository pre-commit clones: ours, reduced to its manifest
	rev := hooks.Commit("hooks", map[string]string{".pre-commit-hooks.yaml": string(manifest)})
	bin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bin, "forkscan"), fmt.Appendf(nil, "#!/bin/sh\n%s=1 exec %q \"$@\"\n", cliEnv, os.Args[0]), 0o755))
	env := []string{"PRE_COMMIT_HOME=" + t.TempDir(), "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0"}

	g := gittest.New(t)
	g.Commit("config", map[string]string{".pre-commit-config.yaml": fmt.Sprintf("repos:\n- repo: %s\n  rev: %s\n  hooks:\n  - id: forkscan-system\n", hooks.Dir, rev)})
	if out, err := run(g, env, preCommit, "install"); err != nil {
		t.Fatalf("pre-commit install: %v\n%s", err, out)
	}
	secrets := plant(rand.New(rand.NewPCG(5, 2026)))
	g.Write(map[string]string{"deploy.env": fmt.Sprintf("token = %q\n", secrets["github-pat"])})
	g.Git("add", "deploy.env")
	out, err := run(g, env, "git", "commit", "-q", "-m", "with a secret")
	require.Error(t, err, "the commit went through:\n%s", out)
	require.Contains(t, out, "github-pat", out)
	require.Contains(t, out, "deploy.env:1", out)
	require.Equal(t, "1", g.Git("rev-list", "--count", "HEAD"), "no commit was made")

	g.Write(map[string]string{"deploy.env": "token = from-the-vault\n"})
	g.Git("add", "deploy.env")
	out, err = run(g, env, "git", "commit", "-q", "-m", "clean")
	require.NoError(t, err, out)
	require.Equal(t, "2", g.Git("rev-list", "--count", "HEAD"))
}
