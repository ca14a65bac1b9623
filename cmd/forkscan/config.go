package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/pflag"

	"github.com/forkscan/forkscan/worker/scan/external"
)

// configName is the config file scan reads from the first PATH.
const configName = "forkscan.toml"

// pathSettings are the settings that name files: relative names are taken
// from the config file's directory, not from where forkscan runs.
var pathSettings = []string{"secrets-config", "output", "data", "root", "token-file"}

// loadConfig applies a config file: --config FILE, or forkscan.toml in the
// first PATH if that is a directory and has one. Its keys are the long
// names of scan's flags, with values of the flag's type (a list for a
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
	path := f.configFile
	if path == "" && len(args) > 0 {
		if info, err := os.Stat(filepath.Join(args[0], configName)); err == nil && info.Mode().IsRegular() {
			path = filepath.Join(args[0], configName)
		}
	}
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return usageErr("--config: %w", err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return usageErr("%s: %w", path, err)
	}
	for key, val := range doc {
		if table, ok := val.(map[string]any); ok && key == "serve" && fl.Lookup("root") != nil {
			for k, v := range table {
				if err := setFlag(fl, k, v, filepath.Dir(path)); err != nil {
					return usageErr("%s: [serve]: %w", path, err)
				}
			}
			continue
		}
		if key == "exec" {
			if f.tools, err = external.DecodeTools(val); err != nil {
				return usageErr("%s: [[exec]]: %w", path, err)
			}
			continue
		}
		if err := setFlag(fl, key, val, filepath.Dir(path)); err != nil {
			return usageErr("%s: %w", path, err)
		}
	}
	return nil
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
		if err := fl.Set(key, s); err != nil {
			return fmt.Errorf("%s = %v: %w", key, val, err)
		}
	}
	return nil
}
