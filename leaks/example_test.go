package leaks_test

import (
	"context"
	"fmt"

	"github.com/forkscan/forkscan/leaks"
)

// A rule set in gitleaks' format, a fragment of a file, what it holds.
func Example() {
	cfg, err := leaks.Parse(`
[[rules]]
id = "demo-token"
regex = '''demo_([a-z0-9]{12})'''
keywords = ["demo_"]
[[rules.allowlists]]
stopwords = ["example"]
`, nil)
	if err != nil {
		panic(err)
	}
	d := leaks.New(cfg)
	text := "a = 1\ntoken = demo_k3j9x0p2m4q7\nsample = demo_example1234\n"
	for _, frag := range must(leaks.Fragments("conf.ini", text)) {
		found, err := d.Detect(context.Background(), frag)
		if err != nil {
			panic(err)
		}
		for _, f := range found {
			f.Redact()
			fmt.Printf("%s:%d:%d %s %s\n", f.File, f.StartLine, f.StartColumn, f.RuleID, f.Match)
		}
	}
	// Output: conf.ini:2:10 demo-token demo_REDACTED
}

func must(frags []leaks.Fragment, binary bool) []leaks.Fragment { return frags }
