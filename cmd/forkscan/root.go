package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/forkscan/forkscan/output"
	"github.com/forkscan/forkscan/worker/scan"
	"github.com/forkscan/forkscan/worker/scan/external"
)

// Exit codes.
const (
	exitOK          = 0
	exitFindings    = 1
	exitUsage       = 2
	exitFailures    = 3
	exitCannotRun   = 4
	exitInterrupted = 130
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// execute runs the CLI with args and returns the exit code.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	code := exitOK
	root := &cobra.Command{
		Use:           "forkscan",
		Short:         "Scan directory trees in parallel worker processes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%w", err) })
	root.AddCommand(scanCommand(&code, args), gitCommand(&code, args), mergeCommand(&code), serveCommand(&code), scannersCommand(), toolsCommand(), versionCommand())
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "forkscan:", err)
		var e *exitError
		if errors.As(err, &e) {
			return e.code
		}
		return exitUsage // cobra's own errors: unknown command, bad arguments
	}
	return code
}

func scannersCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "scanners",
		Short: "List the scanners this binary has",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, name := range scan.Names() {
				def, _ := scan.Lookup(name)
				fmt.Fprintf(w, "%s\t%s\n", name, def.Doc)
			}
			return w.Flush()
		},
	}
}

func toolsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "tools",
		Short: "List the tools --tool knows (an [[exec]] table of the same name overrides one)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tFILES\tFORMAT\tOK EXIT\tCOMMAND\tINSTALLED")
			for _, t := range external.Presets() {
				files := strings.Join(t.Include, " ")
				if len(t.Shebang) > 0 {
					files += " #!" + strings.Join(t.Shebang, ",")
				}
				installed := "yes"
				if _, err := exec.LookPath(t.Command[0]); err != nil {
					installed = "no: " + t.Install
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%s\t%s\n", t.Name, cmp.Or(files, "all"), t.Format, t.OKExit, strings.Join(t.Command, " "), installed)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			for _, t := range external.Presets() {
				if t.ConfigHelp != "" {
					fmt.Fprintf(cmd.OutOrStdout(), "\n%s needs %s for %s: --tool %s=VALUE, or config = \"VALUE\" in an [[exec]] table named %s\n",
						t.Name, t.ConfigHelp, external.ConfigPlaceholder, t.Name, t.Name)
				}
			}
			return nil
		},
	}
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "forkscan %s\n", versionString())
			return err
		},
	}
}

// versionString is this forkscan's version: set at build time, else the
// one Go embedded (output.BuildVersion: a release's, or a source build's
// commit).
func versionString() string {
	return cmp.Or(version, output.BuildVersion())
}
