package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// BenchmarkArchives measures the scan of what lies inside archives, the
// binary FORKSCAN_BIN names (make bench: the one make build makes) or
// this test binary as the CLI, with the default secrets scanner:
//
//   - mixed: a tree holding the same sources three times, as a .tar.gz, a
//     .zip and loose files ($(go env GOROOT)/src/crypto), forkscan against
//     `gitleaks dir --max-archive-depth 8` (FORKSCAN_GITLEAKS, and
//     FORKSCAN_GITLEAKS_RE2 if set) and betterleaks (FORKSCAN_BETTERLEAKS,
//     if set) with gitleaks' rules, one after the other (forkscan first in
//     even iterations, last in odd ones), the same findings (file!member,
//     line, rule) asserted;
//   - tarball: a tree that is one .tar.gz of $(go env GOROOT)/src/cmd,
//     against the same files loose, forkscan on 2 workers both times: how
//     close one big archive comes to the loose tree's time.
func BenchmarkArchives(b *testing.B) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("no go command to find GOROOT:", err)
	}
	src := filepath.Join(strings.TrimSpace(string(goroot)), "src")
	b.Run("mixed", func(b *testing.B) { benchMixed(b, filepath.Join(src, "crypto")) })
	b.Run("tarball", func(b *testing.B) { benchTarball(b, filepath.Join(src, "cmd")) })
}

func benchMixed(b *testing.B, src string) {
	gitleaks := os.Getenv("FORKSCAN_GITLEAKS")
	if gitleaks == "" {
		b.Skip("FORKSCAN_GITLEAKS names no gitleaks binary (make bench installs one)")
	}
	root := b.TempDir()
	writeTarGz(b, src, filepath.Join(root, "crypto.tar.gz"))
	writeZip(b, src, filepath.Join(root, "crypto.zip"))
	mirror(b, src, filepath.Join(root, "crypto"))
	dir := b.TempDir()
	report := filepath.Join(dir, "report.json")
	bins := map[string]string{"gitleaks": gitleaks, "gitleaks-re2": os.Getenv("FORKSCAN_GITLEAKS_RE2"), "betterleaks": os.Getenv("FORKSCAN_BETTERLEAKS")}
	args := map[string][]string{}
	for _, name := range []string{"gitleaks", "gitleaks-re2"} {
		args[name] = []string{"dir", "--max-archive-depth", "8", "--no-banner", "-l", "error", "-f", "json", "-r", report, root}
	}
	args["betterleaks"] = []string{"dir", "--no-banner", "-l", "error", "-c", gitleaksRules(b), "--max-archive-depth", "8",
		"--max-decode-depth", "5", "--redact=0", "--validation=false", "-f", "json", "-r", report, root}
	total := map[string]usage{}
	peers := []string{"gitleaks", "gitleaks-re2", "betterleaks"}
	b.ResetTimer()
	for i := range b.N {
		out := filepath.Join(dir, "forkscan.jsonl")
		found := map[string][]string{}
		for _, name := range inTurn(i, "forkscan", peers) {
			switch {
			case name == "forkscan":
				total[name] = total[name].add(timedUsage(b, cliCommand("scan", "-s", "secrets", "--no-ignore", "--no-progress", "--max-file-size", "1GiB", "-o", out, root), exitFindings))
			case bins[name] != "":
				_ = os.Remove(report)
				total[name] = total[name].add(timedUsage(b, exec.Command(bins[name], args[name]...), 1))
				found[name] = gitleaksReport(b, report, root)
			}
		}
		mine := forkscanFindings(b, out)
		for _, name := range peers {
			if theirs, ran := found[name]; ran && !slices.Equal(mine, theirs) {
				b.Fatalf("forkscan found %d, %s %d; %s", len(mine), name, len(theirs), firstDifferences(mine, theirs, name, 10))
			}
		}
	}
	reportVs(b, total, peers)
}

// reportVs reports each tool's wall and CPU time per iteration, and
// forkscan's ratios to each peer's.
func reportVs(b *testing.B, total map[string]usage, peers []string) {
	n := float64(b.N)
	b.ReportMetric(total["forkscan"].wall.Seconds()/n, "forkscan-s/op")
	b.ReportMetric(total["forkscan"].cpu.Seconds()/n, "forkscan-cpu-s/op")
	for _, name := range peers {
		if t := total[name]; t.wall > 0 {
			b.ReportMetric(t.wall.Seconds()/n, name+"-s/op")
			b.ReportMetric(total["forkscan"].wall.Seconds()/t.wall.Seconds(), "forkscan/"+name)
			b.ReportMetric(total["forkscan"].cpu.Seconds()/t.cpu.Seconds(), "forkscan/"+name+"-cpu")
		}
	}
	b.ReportMetric(0, "ns/op")
}

func benchTarball(b *testing.B, src string) {
	packed, loose := b.TempDir(), b.TempDir()
	writeTarGz(b, src, filepath.Join(packed, "cmd.tar.gz"))
	mirror(b, src, filepath.Join(loose, "cmd"))
	scan := func(root string) usage {
		return timedUsage(b, cliCommand("scan", "-s", "secrets", "-w", "2", "--no-ignore", "--no-progress", "--max-file-size", "1GiB", "-o", os.DevNull, root), -1)
	}
	scan(packed) // the page cache warm for both
	scan(loose)
	var in, out usage
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			in, out = in.add(scan(packed)), out.add(scan(loose))
		} else {
			out, in = out.add(scan(loose)), in.add(scan(packed))
		}
	}
	n := float64(b.N)
	b.ReportMetric(in.wall.Seconds()/n, "tarball-s/op")
	b.ReportMetric(out.wall.Seconds()/n, "loose-s/op")
	b.ReportMetric(in.wall.Seconds()/out.wall.Seconds(), "tarball/loose")
	b.ReportMetric(in.cpu.Seconds()/in.wall.Seconds(), "tarball-cores")
	b.ReportMetric(0, "ns/op")
}

// eachFile calls fn with the regular files under src, by their slash
// paths relative to it.
func eachFile(b *testing.B, src string, fn func(rel, path string, info fs.FileInfo)) {
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		fn(filepath.ToSlash(rel), path, info)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func writeTarGz(b *testing.B, src, dst string) {
	f := create(b, dst)
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	eachFile(b, src, func(rel, path string, info fs.FileInfo) {
		h, err := tar.FileInfoHeader(info, "")
		if err == nil {
			h.Name = rel
			err = tw.WriteHeader(h)
		}
		if err == nil {
			err = copyFrom(tw, path)
		}
		if err != nil {
			b.Fatal(err)
		}
	})
	closeAll(b, tw, gz, f)
}

func writeZip(b *testing.B, src, dst string) {
	f := create(b, dst)
	zw := zip.NewWriter(f)
	eachFile(b, src, func(rel, path string, _ fs.FileInfo) {
		w, err := zw.Create(rel)
		if err == nil {
			err = copyFrom(w, path)
		}
		if err != nil {
			b.Fatal(err)
		}
	})
	closeAll(b, zw, f)
}

// mirror copies the regular files under src to dst.
func mirror(b *testing.B, src, dst string) {
	eachFile(b, src, func(rel, path string, _ fs.FileInfo) {
		to := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			b.Fatal(err)
		}
		f := create(b, to)
		if err := copyFrom(f, path); err != nil {
			b.Fatal(err)
		}
		closeAll(b, f)
	})
}

func create(b *testing.B, path string) *os.File {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

func copyFrom(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

func closeAll(b *testing.B, cs ...io.Closer) {
	for _, c := range cs {
		if err := c.Close(); err != nil {
			b.Fatal(fmt.Errorf("closing: %w", err))
		}
	}
}
