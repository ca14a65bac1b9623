package sarifschema

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/forkscan/forkscan/internal/realtool"
)

// MultitoolEnv names Microsoft's SARIF validator (`sarif-multitool`, the
// npm package @microsoft/sarif-multitool): the Makefile's test target sets
// it to the one `make sarif-multitool` installs under .ci/sarif. Unset,
// Multitool looks there itself.
const MultitoolEnv = "FORKSCAN_SARIF_MULTITOOL"

// Multitool returns the path of Microsoft's SARIF validator; if it is
// not installed, it skips the test (or, where realtool.Env is set, fails
// it), as realtool.Need does for the tools on the PATH.
func Multitool(t testing.TB) string {
	t.Helper()
	path := os.Getenv(MultitoolEnv)
	if path == "" {
		_, here, _, _ := runtime.Caller(0) // this file, in the repository
		path = filepath.Join(filepath.Dir(here), "..", "..", ".ci", "sarif", "node_modules", ".bin", "sarif-multitool")
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if os.Getenv(realtool.Env) != "" {
		t.Fatalf("the SARIF validator is not at %s, and %s says the real tools are installed (make sarif-multitool)", path, realtool.Env)
	}
	t.Skipf("skipped: the SARIF validator is not at %s (make sarif-multitool installs it)", path)
	return ""
}

// Problem is one thing the validator says of a log.
type Problem struct {
	Rule    string // SARIF2004, GH2012, ...
	Level   string // error or warning (notes are not asked for)
	Message string // with the place in the log it names
}

func (p Problem) String() string { return p.Level + " " + p.Rule + ": " + p.Message }

// Check runs the validator at multitool over the SARIF log in file,
// with SARIF's own rules and those of GitHub Advanced Security
// (`validate --rule-kind "Sarif;Gh"`), and returns the errors and
// warnings it reports. An error is the validator's failing to run.
func Check(multitool, file string) ([]Problem, error) {
	out := file + ".validation.sarif"
	defer os.Remove(out)
	args := []string{"validate", "--rule-kind", "Sarif;Gh", "--level", "Error;Warning", "--log", "ForceOverwrite;PrettyPrint", "-o", out, file}
	// npm's sarif-multitool is a node script that runs the real program
	// through a shell, so each argument goes to that shell quoted.
	for i, a := range args {
		args[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	b, err := exec.Command(multitool, args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("sarif-multitool validate %s: %w\n%s", file, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("sarif-multitool validate %s wrote no log: %w\n%s", file, err, b)
	}
	return problems(data)
}

// problems reads the validator's own SARIF log: its results, each
// message made from the rule's message string and the arguments.
func problems(data []byte) ([]Problem, error) {
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID             string
						MessageStrings map[string]struct{ Text string } `json:"messageStrings"`
					}
				}
			}
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string
				Message   struct {
					ID        string
					Text      string
					Arguments []string
				}
			}
		}
	}
	if err := json.Unmarshal(data, &log); err != nil {
		return nil, fmt.Errorf("the validator's log: %w", err)
	}
	var out []Problem
	for _, run := range log.Runs {
		for _, r := range run.Results {
			text := r.Message.Text
			if rules := run.Tool.Driver.Rules; text == "" && r.RuleIndex >= 0 && r.RuleIndex < len(rules) {
				text = rules[r.RuleIndex].MessageStrings[r.Message.ID].Text
				for i, a := range r.Message.Arguments {
					text = strings.ReplaceAll(text, "{"+strconv.Itoa(i)+"}", a)
				}
			}
			level := r.Level
			if level == "" {
				level = "warning" // SARIF's default
			}
			out = append(out, Problem{Rule: r.RuleID, Level: level, Message: text})
		}
	}
	return out, nil
}

// Kept is what the validator may say of forkscan's SARIF: each warning
// rule kept on purpose, with the reason (the README's "Output" says the
// same). Empty: forkscan's SARIF draws no error and no warning; notes
// (SARIF2002, 2003, 2006, 2009, 2010, 2011, 2012) are not asked for.
var Kept = map[string]string{}

// Passes checks log with the validator (Check), skipping the test where
// the validator is missing (Multitool), and fails t for every error or
// warning Kept does not name.
func Passes(t testing.TB, log []byte) {
	t.Helper()
	multitool := Multitool(t)
	file := filepath.Join(t.TempDir(), "log.sarif")
	if err := os.WriteFile(file, log, 0o644); err != nil {
		t.Fatal(err)
	}
	found, err := Check(multitool, file)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range found {
		if _, ok := Kept[p.Rule]; !ok {
			t.Errorf("sarif-multitool: %s", p)
		}
	}
}
