package external_test

import (
	"fmt"

	"github.com/forkscan/forkscan/worker/scan/external"
)

// ExampleParse reads what bandit prints with -f json.
func ExampleParse() {
	out := []byte(`{"errors": [], "results": [
	  {"test_id": "B105", "issue_severity": "LOW", "issue_text": "Possible hardcoded password", "line_number": 12},
	  {"test_id": "B307", "issue_severity": "MEDIUM", "issue_text": "Use of eval", "line_number": 30}]}`)
	findings, err := external.Parse(out)
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		fmt.Printf("%s line %d (%s): %s\n", f.Rule, f.Line, f.Severity, f.Message)
	}
	// Output:
	// B105 line 12 (low): Possible hardcoded password
	// B307 line 30 (medium): Use of eval
}
