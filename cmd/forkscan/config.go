package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/pflag"

	"github.com/forkscan/forkscan/beneath"
	"github.com/forkscan/forkscan/worker/scan/external"
)

// configName is the config file scan reads from the first PATH.
const configName = "forkscan.toml"

// pathSettings are the settings that name files: relative names are taken
// from the config file's directory, not from where forkscan runs.
var pathSettings = []string{"secrets-config", "output", "data", "root", "token-file"}

// treeKeys are the settings a forkscan.toml found in a scanned tree may
// set: which files of it are scanned, nothing else. What runs (scanners,
// [[exec]] tools), where records go (output), how much of the machine a
// run takes and what it shows (no-redact) are the person's to say, on the
// command line or in a --config they name: a tree is what is scanned, and
// anyone who can write into it would otherwise choose them.
var treeKeys = []string{"include", "exclude", "no-ignore"}

// loadConfig applies a config file: --config FILE, or forkscan.toml in the
// first PATH if that is a directory and has one (then only its treeKeys
// are taken; the others are named on stderr as ignored). Its keys are the
// long names of scan's flags, with values of the flag's type (a list for a
// repeatable flag), plus [[exec]] tables for exec tools:
//
//	workers = 4
//	exclude = ["vendor/**", "*.min.js"]
//	limit   = ["exec:semgrep=2"]
//
//	[[exec]]
//	name    = "bandit"
//	command = "bandit -q -f json {}"
//	json    = true
//	ok_exit = [0, 1]
//	include = ["*.py"]
//	timeout = "30s"
//	limit   = 2
//
// A flag given on the command line wins over the file.
func (f *scanFlags) loadConfig(fl *pflag.FlagSet, args []string) error {
	path, data, err := f.findConfig(args)
	if err != nil || data == nil {
		return err
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return usageErr("%s: %w", path, err)
	}
	fromTree := f.configFile == ""
	var ignored []string
	for key, val := range doc {
		if fromTree && !slices.Contains(treeKeys, key) {
			ignored = append(ignored, key)
			continue
		}
		if err := f.apply(fl, key, val, path); err != nil {
			return err
		}
	}
	if fromTree {
		slices.Sort(ignored)
		f.notice.treeConfig(path, ignored)
	} else {
		f.notice.read("settings", path)
	}
	return nil
}

// findConfig reads the config file: the one --config names, as named; or
// forkscan.toml in the first PATH, beneath it. Either is read without
// waiting on a FIFO or a device, to beneath.MaxSettings bytes. No file:
// nil data.
func (f *scanFlags) findConfig(args []string) (string, []byte, error) {
	if f.configFile != "" {
		data, err := beneath.ReadFile(f.configFile, beneath.MaxSettings)
		if err != nil {
			return "", nil, usageErr("--config: %w", err)
		}
		return f.configFile, data, nil
	}
	if len(args) == 0 {
		return "", nil, nil
	}
	dir, err := beneath.OpenDir(args[0])
	if err != nil {
		return "", nil, nil // not a directory: the walk says what it is
	}
	defer dir.Close()
	path := filepath.Join(args[0], configName)
	data, err := dir.ReadFile(configName, beneath.MaxSettings)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil, nil
	case err != nil:
		return "", nil, usageErr("%s, in the scanned tree: %w", path, err)
	}
	return path, data, nil
}

// apply applies one key of the config file at path.
func (f *scanFlags) apply(fl *pflag.FlagSet, key string, val any, path string) error {
	if table, ok := val.(map[string]any); ok && key == "serve" && fl.Lookup("root") != nil {
		for k, v := range table {
			if err := setFlag(fl, k, v, filepath.Dir(path)); err != nil {
				return usageErr("%s: [serve]: %w", path, err)
			}
		}
		return nil
	}
	if key == "exec" {
		tools, err := external.DecodeTools(val)
		if err != nil {
			return usageErr("%s: [[exec]]: %w", path, err)
		}
		for i, t := range tools { // a relative file of a tool's config: from the file's directory, as output's
			if in := filepath.Join(filepath.Dir(path), t.Config); t.Config != "" && !filepath.IsAbs(t.Config) && exists(in) {
				tools[i].Config = in
			}
		}
		f.tools = tools
		return nil
	}
	if err := setFlag(fl, key, val, filepath.Dir(path)); err != nil {
		return usageErr("%s: %w", path, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// setFlag sets the flag key to val, unless the command line set it.
func setFlag(fl *pflag.FlagSet, key string, val any, dir string) error {
	flag := fl.Lookup(key)
	if flag == nil || key == "config" {
		return fmt.Errorf("unknown setting %q (settings are the long names of scan's flags, and [[exec]] tables)", key)
	}
	if flag.Changed {
		return nil
	}
	values, isList := val.([]any)
	if !isList {
		values = []any{val}
	}
	for _, v := range values {
		s := fmt.Sprint(v)
		if slices.Contains(pathSettings, key) && s != "" && s != "-" && !filepath.IsAbs(s) {
			s = filepath.Join(dir, s)
		}
		if name, value, ok := strings.Cut(s, "="); key == "tool" && ok && value != "" && !filepath.IsAbs(value) && exists(filepath.Join(dir, value)) {
			s = name + "=" + filepath.Join(dir, value) // a tool's value that is a file: from the file's directory too
		}
		if err := fl.Set(key, s); err != nil {
			return fmt.Errorf("%s = %v: %w", key, val, err)
		}
	}
	return nil
}
