package shutdown_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/forkscan/forkscan/shutdown"
)

// command adapts an exec.Cmd with no stop protocol of its own: Stop does
// nothing, so the process is left to the signals.
type command struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func start(name string, args ...string) (*command, error) {
	c := &command{cmd: exec.Command(name, args...), done: make(chan struct{})}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	return c, nil
}

func (c *command) PID() int                   { return c.cmd.Process.Pid }
func (c *command) Stop()                      {}
func (c *command) Signal(sig os.Signal) error { return c.cmd.Process.Signal(sig) }
func (c *command) Done() <-chan struct{}      { return c.done }

func ExampleStop() {
	sleeper, err := start("sleep", "60")
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := shutdown.Config{Grace: 100 * time.Millisecond, TermWait: 10 * time.Second}
	report := shutdown.Stop(context.Background(), cfg, []shutdown.Process{sleeper})
	fmt.Println("ended by", report.Processes[0].By)
	fmt.Println(sleeper.cmd.ProcessState)
	// Output:
	// ended by term
	// signal: terminated
}
