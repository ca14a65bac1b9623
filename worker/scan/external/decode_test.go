package external_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/worker/scan/external"
)

func TestDecodeTools(t *testing.T) {
	tables := []any{
		map[string]any{"name": "b", "command": "bandit -q -f json {}", "json": true, "ok_exit": []any{int64(0), int64(1)},
			"include": []any{"*.py"}, "timeout": "30s", "limit": int64(2), "install": "apt-get install bandit"},
		map[string]any{"command": []any{"tool", "{}"}},
	}
	tools, err := external.DecodeTools(tables)
	require.NoError(t, err)
	require.Equal(t, []external.Tool{
		{Name: "b", Command: []string{"bandit", "-q", "-f", "json", "{}"}, JSON: true, OKExit: []int{0, 1},
			Include: []string{"*.py"}, Timeout: 30 * time.Second, Limit: 2, Install: "apt-get install bandit"},
		{Command: []string{"tool", "{}"}},
	}, tools)

	bad := []struct {
		name string
		val  any
		says string
	}{
		{"not an array", map[string]any{}, "array of tables"},
		{"not a table", []any{"x"}, "entry 1 is not a table"},
		{"unknown key", []any{map[string]any{"cmd": "x"}}, `unknown key "cmd"`},
		{"wrong type", []any{map[string]any{"json": "yes"}}, "json"},
		{"bad duration", []any{map[string]any{"timeout": "soon"}}, "soon"},
		{"bad list item", []any{map[string]any{"ok_exit": []any{"zero"}}}, "ok_exit"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := external.DecodeTools(c.val)
			require.ErrorContains(t, err, c.says)
		})
	}
}
