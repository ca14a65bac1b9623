package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/shell"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/scanrun"
	"github.com/forkscan/forkscan/worker/scan/external"
	"github.com/forkscan/forkscan/worker/scan/secrets"
)

// scannerNames is the run's scanners: those named by -s, or by default
// secrets, plus exec when an exec tool is configured.
func (f scanFlags) scannerNames() []string {
	names := dedupe(f.scanners)
	if !f.scannersGiven && f.wantsExec() {
		names = append(names, external.Name)
	}
	return names
}

// scannerOptions makes the settings of the run's built-in scanners from
// the flags, checking them here so that a mistake is a usage error, not a
// worker that fails to start. Semaphores of exec tools are added to limits.
func (f scanFlags) scannerOptions(scanners, args []string, limits map[string]int64) (map[string][]byte, error) {
	options := map[string][]byte{}
	if slices.Contains(scanners, secrets.Name) {
		o, err := f.secretsOptions(args)
		if err != nil {
			return nil, err
		}
		options[secrets.Name] = o.Encode()
	}
	if slices.Contains(scanners, external.Name) {
		o, err := f.execOptions(limits)
		if err != nil {
			return nil, err
		}
		options[external.Name] = o.Encode()
	} else if f.wantsExec() {
		return nil, usageErr("--exec-cmd, --tool and [[exec]] need the exec scanner, and -s does not name it")
	}
	return options, nil
}

// secretsOptions finds the gitleaks config and ignore files as `gitleaks
// dir` would.
func (f scanFlags) secretsOptions(args []string) (secrets.Options, error) {
	o, read, err := secrets.Find(secrets.Lookup{Roots: args, Config: f.secretsConfig, NoRedact: f.noRedact})
	if err != nil {
		return o, usageErr("--secrets-config: %w", err)
	}
	f.notice.read("secrets settings", read...)
	return o, nil
}

// configPath is a tool's Config as its tool is given it: a file or
// directory that exists, absolute (the tools run in the workers, whose
// working directory is not promised); anything else as it is (semgrep's
// registry names, "p/python", when it may go online).
func configPath(value string) string {
	if value == "" {
		return ""
	}
	if _, err := os.Stat(value); err != nil {
		return value
	}
	if abs, err := filepath.Abs(value); err == nil {
		return abs
	}
	return value
}

// toolFilters leaves the files no exec tool takes out of the exec
// scanner's work: counted, not recorded (scanrun.Filter). A history's
// jobs are commits, which the exec scanner does not run on.
func toolFilters(cfg engine.Config) []scanrun.Filter {
	what, takes := external.FilterOf(cfg.ScannerOptions[external.Name])
	if cfg.History || takes == nil || !slices.Contains(cfg.Scanners, external.Name) {
		return nil
	}
	return []scanrun.Filter{{Scanner: external.Name, What: what, Takes: takes}}
}

// wantsExec reports whether an exec tool is configured.
func (f scanFlags) wantsExec() bool {
	return f.execCmd != "" || len(f.tools) > 0 || len(f.toolNames) > 0
}

// execOptions gathers the exec tools: the config file's, --tool's (a
// known tool, unless the config file defines one of that name) and
// --exec-cmd's.
func (f scanFlags) execOptions(limits map[string]int64) (external.Options, error) {
	o := external.Options{Tools: slices.Clone(f.tools)}
	for i := range o.Tools {
		o.Tools[i].Config = configPath(o.Tools[i].Config)
	}
	for _, arg := range dedupe(f.toolNames) {
		name, value, given := strings.Cut(arg, "=")
		if i := slices.IndexFunc(o.Tools, func(t external.Tool) bool { return t.Name == name }); i >= 0 {
			if given {
				o.Tools[i].Config = configPath(value)
			}
			continue
		}
		t, ok := external.Preset(name)
		if !ok {
			return o, usageErr("--tool: unknown tool %q (known: %s; or define it in an [[exec]] table)", name, strings.Join(external.PresetNames(), ", "))
		}
		if given {
			t.Config = configPath(value)
		}
		o.Tools = append(o.Tools, t)
	}
	if f.execCmd != "" {
		argv, err := shell.Fields(f.execCmd, func(name string) string { return os.Getenv(name) })
		if err != nil {
			return o, usageErr("--exec-cmd %q: %w", f.execCmd, err)
		}
		o.Tools = append(o.Tools, external.Tool{Command: argv, JSON: f.execJSON, Format: f.execFormat, OKExit: f.execOKExit, Timeout: f.execTimeout, PerFile: f.execPerFile})
	}
	if err := o.Check(); err != nil {
		if errors.Is(err, external.ErrNoPlaceholder) {
			return o, usageErr("--exec-cmd: %w", err)
		}
		return o, usageErr("%w", err)
	}
	for i, t := range o.Tools {
		name := t.Semaphore()
		switch {
		case limits[name] > 0:
			o.Tools[i].Limit = limits[name]
		case t.Limit > 0:
			limits[name] = t.Limit
		}
	}
	return o, nil
}
