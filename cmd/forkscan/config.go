package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/pflag"
	"mvdan.cc/sh/v3/shell"

	"github.com/forkscan/forkscan/worker/scan/external"
)

// configName is the config file scan reads from the first PATH.
const configName = "forkscan.toml"

// pathSettings are the settings that name files: relative names are taken
// from the config file's directory, not from where forkscan runs.
var pathSettings = []string{"secrets-config", "output"}

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
	if path == "" && len(args) > 0 && isFile(filepath.Join(args[0], configName)) {
		path = filepath.Join(args[0], configName)
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
		if key == "exec" {
			if f.tools, err = parseTools(val); err != nil {
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

// parseTools reads the [[exec]] tables.
func parseTools(val any) ([]external.Tool, error) {
	tables, ok := val.([]any)
	if !ok {
		return nil, fmt.Errorf("exec must be an array of tables ([[exec]]), not %T", val)
	}
	var tools []external.Tool
	for i, v := range tables {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("entry %d is not a table", i+1)
		}
		t, err := parseTool(m)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		tools = append(tools, t)
	}
	return tools, nil
}

func parseTool(m map[string]any) (external.Tool, error) {
	var t external.Tool
	var err error
	for k, v := range m {
		switch k {
		case "name":
			t.Name, err = as[string](k, v)
		case "command":
			t.Command, err = command(v)
		case "json":
			t.JSON, err = as[bool](k, v)
		case "ok_exit":
			t.OKExit, err = ints(k, v)
		case "include":
			t.Include, err = strs(k, v)
		case "limit":
			var n int64
			n, err = as[int64](k, v)
			t.Limit = n
		case "timeout":
			var s string
			if s, err = as[string](k, v); err == nil {
				t.Timeout, err = time.ParseDuration(s)
			}
		default:
			err = fmt.Errorf("unknown key %q (known: name, command, json, ok_exit, include, limit, timeout)", k)
		}
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

func as[T any](key string, v any) (T, error) {
	t, ok := v.(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("%s: want a %T, got %v", key, zero, v)
	}
	return t, nil
}

// command takes a command as a string (split as a shell would) or a list.
func command(v any) ([]string, error) {
	if s, ok := v.(string); ok {
		return shell.Fields(s, func(name string) string { return os.Getenv(name) })
	}
	return strs("command", v)
}

func strs(key string, v any) ([]string, error) { return listOf[string](key, v) }

func ints(key string, v any) ([]int, error) {
	list, err := listOf[int64](key, v)
	out := make([]int, len(list))
	for i, n := range list {
		out[i] = int(n)
	}
	return out, err
}

// listOf reads a TOML array whose items are all of type T.
func listOf[T any](key string, v any) ([]T, error) {
	list, err := as[[]any](key, v)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(list))
	for _, item := range list {
		t, err := as[T](key, item)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
