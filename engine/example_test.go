package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/forkscan/forkscan/engine"
)

// Start two worker processes (this binary, re-exec'd: its TestMain calls
// worker.Main, as a program's main would), run the inventory scanner on a
// file, and read the result.
func Example() {
	dir, _ := os.MkdirTemp("", "forkscan-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "hello.go")
	_ = os.WriteFile(path, []byte("package hello\n\nfunc Hello() {}\n"), 0o644)

	jobs := func(yield func(engine.Job) bool) { yield(engine.Job{Path: path}) }
	run, err := engine.Start(context.Background(), engine.Config{Scanners: []string{"inventory"}, Workers: 2}, jobs)
	if err != nil {
		fmt.Println(err)
		return
	}
	for res := range run.Results() {
		var facts struct {
			Lines    int
			Language string
		}
		_ = json.Unmarshal(res.Data, &facts)
		fmt.Println(filepath.Base(res.Path), res.Scanner, res.Status, facts.Lines, facts.Language, res.WorkerPID != os.Getpid())
	}
	stats, err := run.Wait()
	fmt.Println(stats.Jobs, stats.OK, err)
	// Output:
	// hello.go inventory ok 3 Go true
	// 1 1 <nil>
}
