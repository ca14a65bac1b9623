package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/internal/proctest"
	"github.com/forkscan/forkscan/internal/testwait"
	"github.com/forkscan/forkscan/worker/scan"
)

// parentHelperEnv makes the test binary act as a parent: it starts two
// workers on endless jobs, prints their pids, and runs until killed.
const parentHelperEnv = "FORKSCAN_TEST_PARENT"

func parentHelper() {
	run, err := engine.Start(context.Background(), engine.Config{Scanners: []string{"slow"}, Workers: 2}, paths(1<<40, "job-%d"))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	pids := map[int]bool{}
	for r := range run.Results() {
		if !pids[r.WorkerPID] {
			pids[r.WorkerPID] = true
			if len(pids) == 2 {
				var list []string
				for p := range pids {
					list = append(list, strconv.Itoa(p))
				}
				fmt.Println("workers", strings.Join(list, " "))
			}
		}
	}
}

func TestWorkersDieWithTheirParent(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), parentHelperEnv+"=1")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	type read struct {
		line string
		err  error
	}
	lines := make(chan read, 1)
	go func() {
		line, err := bufio.NewReader(out).ReadString('\n')
		lines <- read{line, err}
	}()
	got := testwait.Chan(t, time.Minute, "the helper's line naming its workers", lines) // the deferred kill ends the reader
	line, err := got.line, got.err
	require.NoError(t, err)
	fields := strings.Fields(line)
	require.Equal(t, "workers", fields[0], line)
	var workers []int
	for _, f := range fields[1:] {
		pid, err := strconv.Atoi(f)
		require.NoError(t, err)
		st, err := proctest.ReadStat(pid)
		require.NoError(t, err)
		require.Equal(t, cmd.Process.Pid, st.PPID, "worker %d is the helper's child", pid)
		require.Equal(t, pid, st.PGID, "worker %d leads its own process group", pid)
		workers = append(workers, pid)
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	bound := testwait.Bound(5 * time.Second) // a hang's bound: the kernel's signal is at once
	require.Empty(t, proctest.WaitGone(workers, bound), "workers outlived their SIGKILLed parent by %v", bound)
}

func TestVanishedFileIsAnErrorRecord(t *testing.T) {
	dir, jobs := files(t, map[string]string{"gone.txt": "here for a moment"})
	require.NoError(t, os.Remove(dir+"/gone.txt"))
	o := runAll(t, context.Background(), engine.Config{Scanners: []string{"inventory", "noop"}, Workers: 1}, jobs)
	require.NoError(t, o.err)
	r := o.only(pair{dir + "/gone.txt", "inventory"})
	require.Equal(t, engine.StatusError, r.Status)
	require.ErrorIs(t, r.Error, scan.InvalidInput)
	require.Contains(t, r.Error.Message, "no such file or directory", "the message keeps the cause's text")
	require.Equal(t, engine.StatusOK, o.only(pair{dir + "/gone.txt", "noop"}).Status, "a scanner that reads no content still runs")
}
