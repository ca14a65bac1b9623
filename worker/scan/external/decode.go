package external

import (
	"fmt"
	"os"
	"strings"
	"time"

	"mvdan.cc/sh/v3/shell"
)

// DecodeTools makes tools of [[exec]] tables as a TOML decoder gives them
// (an array of tables: []any of map[string]any), as forkscan.toml has
// them:
//
//	[[exec]]
//	name    = "mylint"
//	command = "mylint --json {}"   # or a list of arguments
//	format  = "json"               # or "jsonl", "sarif"; none: no findings, the exit status
//	ok_exit = [0, 1]
//	include = ["*.py"]
//	shebang = ["python3"]
//	per_file = false               # true: one file per run
//	timeout = "30s"
//	limit   = 2
//	install = "pip install mylint" # said when the program is not found
//	config  = "rules/"             # the value "{config}" stands for in command (--tool NAME=VALUE)
//
// A table may start from a preset (Presets): preset = "bandit" with the
// keys to change, or name = "bandit" and no command (an override of the
// preset of that name). An unknown key, preset or a value of the wrong
// type is an error naming it.
func DecodeTools(val any) ([]Tool, error) {
	tables, ok := val.([]any)
	if !ok {
		return nil, fmt.Errorf("exec must be an array of tables ([[exec]]), not %T", val)
	}
	var tools []Tool
	for i, v := range tables {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("entry %d is not a table", i+1)
		}
		t, err := decodeTool(m)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		tools = append(tools, t)
	}
	return tools, nil
}

func decodeTool(m map[string]any) (Tool, error) {
	t, err := base(m)
	if err != nil {
		return t, err
	}
	for k, v := range m {
		switch k {
		case "name", "preset":
		case "command":
			t.Command, err = command(v)
		case "format":
			t.Format, err = as[string](k, v)
		case "json":
			t.JSON, err = as[bool](k, v)
		case "ok_exit":
			t.OKExit, err = ints(k, v)
		case "include":
			t.Include, err = strs(k, v)
		case "shebang":
			t.Shebang, err = strs(k, v)
		case "per_file":
			t.PerFile, err = as[bool](k, v)
		case "install":
			t.Install, err = as[string](k, v)
		case "config":
			t.Config, err = as[string](k, v)
		case "limit":
			t.Limit, err = as[int64](k, v)
		case "timeout":
			var s string
			if s, err = as[string](k, v); err == nil {
				t.Timeout, err = time.ParseDuration(s)
			}
		default:
			err = fmt.Errorf("unknown key %q (known: name, preset, command, format, json, ok_exit, include, shebang, per_file, install, config, limit, timeout)", k)
		}
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

// base is what a table starts from: the preset it names (preset = NAME),
// or the preset of its name when it gives no command (an override of
// that preset), else nothing.
func base(m map[string]any) (Tool, error) {
	name, err := optional[string](m, "name")
	if err != nil {
		return Tool{}, err
	}
	preset, err := optional[string](m, "preset")
	if err != nil {
		return Tool{}, err
	}
	_, hasCommand := m["command"]
	if preset == "" && !hasCommand {
		preset = name
	}
	t, ok := Preset(preset)
	if !ok && m["preset"] != nil {
		return Tool{}, fmt.Errorf("preset %q is not a tool forkscan knows (known: %s)", preset, strings.Join(PresetNames(), ", "))
	}
	if name != "" {
		t.Name = name
	}
	return t, nil
}

// optional reads key of m if it is there.
func optional[T any](m map[string]any, key string) (T, error) {
	var zero T
	v, ok := m[key]
	if !ok {
		return zero, nil
	}
	return as[T](key, v)
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
