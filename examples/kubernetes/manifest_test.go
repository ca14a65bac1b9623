// Package kubernetes holds no code: its test checks the example's
// manifests, forkscan-shards.yaml and forkscan-merge.yaml. It decodes them
// strictly into the Kubernetes API's own types, checks that the pieces fit
// (the shard count, the volumes, the paths the scan writes and the merge
// reads), and runs the containers' shell scripts with a stand-in forkscan
// to see what they do with its exit codes and with SIGTERM.
package kubernetes

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"mvdan.cc/sh/v3/syntax"
	"sigs.k8s.io/yaml"

	"github.com/forkscan/forkscan/examples/internal/standin"
	"github.com/forkscan/forkscan/internal/realtool"
	"github.com/forkscan/forkscan/internal/testwait"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The manifests, applied together to one namespace.
var files = []string{"forkscan-shards.yaml", "forkscan-merge.yaml"}

// manifests is every object of the files, by kind and name.
type manifests struct {
	jobs       map[string]*batchv1.Job
	pods       map[string]*corev1.Pod
	claims     map[string]*corev1.PersistentVolumeClaim
	configMaps map[string]*corev1.ConfigMap
}

// load decodes every document of the files strictly: a field the API does
// not have (a typo, a field of another version) fails, as does a kind the
// test does not know.
func load(t *testing.T) manifests {
	t.Helper()
	m := manifests{jobs: map[string]*batchv1.Job{}, pods: map[string]*corev1.Pod{},
		claims: map[string]*corev1.PersistentVolumeClaim{}, configMaps: map[string]*corev1.ConfigMap{}}
	for _, name := range files {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		docs := documents(t, data)
		require.NotEmpty(t, docs, name)
		for i, doc := range docs {
			where := fmt.Sprintf("%s, document %d", name, i+1)
			var meta struct {
				metav1.TypeMeta `json:",inline"`
				Metadata        struct{ Name string }
			}
			require.NoError(t, yaml.Unmarshal(doc, &meta), where)
			require.NotEmpty(t, meta.Metadata.Name, where)
			switch gvk := meta.APIVersion + " " + meta.Kind; gvk {
			case "batch/v1 Job":
				m.jobs[meta.Metadata.Name] = decode[batchv1.Job](t, doc, where)
			case "v1 Pod":
				m.pods[meta.Metadata.Name] = decode[corev1.Pod](t, doc, where)
			case "v1 PersistentVolumeClaim":
				m.claims[meta.Metadata.Name] = decode[corev1.PersistentVolumeClaim](t, doc, where)
			case "v1 ConfigMap":
				m.configMaps[meta.Metadata.Name] = decode[corev1.ConfigMap](t, doc, where)
			default:
				t.Fatalf("%s: a %s, which this test does not know", where, gvk)
			}
		}
	}
	return m
}

// documents splits a YAML stream into its documents, leaving out those
// that hold nothing but comments.
func documents(t *testing.T, data []byte) [][]byte {
	t.Helper()
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		require.NoError(t, err)
		j, err := yaml.YAMLToJSON(doc)
		require.NoError(t, err)
		if string(j) != "null" {
			docs = append(docs, doc)
		}
	}
}

func decode[T any](t *testing.T, doc []byte, where string) *T {
	t.Helper()
	v := new(T)
	require.NoError(t, yaml.UnmarshalStrict(doc, v), where)
	return v
}

// The strict decoding the other tests rely on does refuse what the API
// does not know.
func TestDecodingIsStrict(t *testing.T) {
	load(t)
	typo := []byte("apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  completionMod: Indexed\n")
	require.Error(t, yaml.UnmarshalStrict(typo, new(batchv1.Job)))
	twice := []byte("apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  completions: 4\n  completions: 5\n")
	require.Error(t, yaml.UnmarshalStrict(twice, new(batchv1.Job)))
}

// The scan is an Indexed Job whose pods all run at once, one per shard,
// each retried on its own, never restarted in place (a restarted container
// would find its emptyDir, not a fresh clone), and cleaned up.
func TestScanJob(t *testing.T) {
	m := load(t)
	job := m.jobs["forkscan-scan"]
	require.NotNil(t, job, "the manifests have no Job forkscan-scan")
	spec := job.Spec
	require.NotNil(t, spec.CompletionMode)
	require.Equal(t, batchv1.IndexedCompletion, *spec.CompletionMode)
	require.NotNil(t, spec.Completions)
	require.NotNil(t, spec.Parallelism)
	require.Equal(t, *spec.Completions, *spec.Parallelism, "every shard runs at once")
	require.Greater(t, *spec.Completions, int32(1))
	require.NotNil(t, spec.BackoffLimitPerIndex, "a failed shard is retried on its own")
	require.NotNil(t, spec.TTLSecondsAfterFinished)
	require.Equal(t, corev1.RestartPolicyNever, spec.Template.Spec.RestartPolicy)

	// A usage error fails its index at once; an eviction spends no try.
	require.NotNil(t, spec.PodFailurePolicy)
	var failsOnUsage, ignoresDisruption bool
	for _, r := range spec.PodFailurePolicy.Rules {
		if c := r.OnExitCodes; c != nil && r.Action == batchv1.PodFailurePolicyActionFailIndex {
			require.NotNil(t, c.ContainerName)
			require.Equal(t, "scan", *c.ContainerName)
			failsOnUsage = c.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && slices.Contains(c.Values, 2)
		}
		for _, p := range r.OnPodConditions {
			ignoresDisruption = ignoresDisruption || (p.Type == corev1.DisruptionTarget && r.Action == batchv1.PodFailurePolicyActionIgnore)
		}
	}
	require.True(t, failsOnUsage, "exit 2 (usage) fails the shard without retries")
	require.True(t, ignoresDisruption, "an evicted pod spends no try")

	merge := m.jobs["forkscan-merge"]
	require.NotNil(t, merge, "the manifests have no Job forkscan-merge")
	require.Nil(t, merge.Spec.CompletionMode, "the merge is one pod")
	require.NotNil(t, merge.Spec.BackoffLimit)
	require.NotNil(t, merge.Spec.TTLSecondsAfterFinished)
	require.Equal(t, corev1.RestartPolicyNever, merge.Spec.Template.Spec.RestartPolicy)
}

// pod is a pod spec of the manifests, with where it is from.
type pod struct {
	name string
	spec *corev1.PodSpec
}

func (m manifests) podSpecs() []pod {
	var pods []pod
	for name, j := range m.jobs {
		pods = append(pods, pod{"job/" + name, &j.Spec.Template.Spec})
	}
	for name, p := range m.pods {
		pods = append(pods, pod{"pod/" + name, &p.Spec})
	}
	slices.SortFunc(pods, func(a, b pod) int { return strings.Compare(a.name, b.name) })
	return pods
}

// container returns the container or init container of spec named name.
func container(t *testing.T, spec *corev1.PodSpec, name string) *corev1.Container {
	t.Helper()
	for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	t.Fatalf("no container %s", name)
	return nil
}

// env returns the value the container's env gives name, "" if none.
func env(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// mountOf returns the mount of c under which path lies (the deepest one)
// and the pod's volume behind it.
func mountOf(t *testing.T, spec *corev1.PodSpec, c *corev1.Container, path string) (corev1.VolumeMount, corev1.Volume) {
	t.Helper()
	var best *corev1.VolumeMount
	for i, vm := range c.VolumeMounts {
		rel, err := filepath.Rel(vm.MountPath, path)
		if err == nil && !strings.HasPrefix(rel, "..") && (best == nil || len(vm.MountPath) > len(best.MountPath)) {
			best = &c.VolumeMounts[i]
		}
	}
	require.NotNil(t, best, "%s: %s is on no volume", c.Name, path)
	i := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == best.Name })
	require.GreaterOrEqual(t, i, 0, "%s: no volume %s", c.Name, best.Name)
	return *best, spec.Volumes[i]
}

// Everything a pod names is in the manifests: its volumes, their claims
// (ReadWriteMany, as pods on different nodes share them), the ConfigMaps
// of its env, the containers its resource references name. Every
// container runs the one image and says what resources it needs.
func TestPodsReferToWhatExists(t *testing.T) {
	m := load(t)
	var images []string
	for _, p := range m.podSpecs() {
		t.Run(p.name, func(t *testing.T) {
			require.NotEmpty(t, p.spec.Containers)
			volumes := map[string]corev1.Volume{}
			for _, v := range p.spec.Volumes {
				require.NotContains(t, volumes, v.Name, "volume %s twice", v.Name)
				volumes[v.Name] = v
				if c := v.PersistentVolumeClaim; c != nil {
					claim := m.claims[c.ClaimName]
					require.NotNil(t, claim, "volume %s: no PersistentVolumeClaim %s in the manifests", v.Name, c.ClaimName)
					require.Contains(t, claim.Spec.AccessModes, corev1.ReadWriteMany, "claim %s", c.ClaimName)
					require.False(t, claim.Spec.Resources.Requests.Storage().IsZero(), "claim %s asks for no storage", c.ClaimName)
				}
			}
			used := map[string]bool{}
			for _, c := range slices.Concat(p.spec.InitContainers, p.spec.Containers) {
				images = append(images, c.Image)
				for _, vm := range c.VolumeMounts {
					require.Contains(t, volumes, vm.Name, "%s mounts a volume the pod does not have", c.Name)
					used[vm.Name] = true
				}
				for _, from := range c.EnvFrom {
					require.NotNil(t, from.ConfigMapRef, "%s: only ConfigMaps feed env here", c.Name)
					require.Contains(t, m.configMaps, from.ConfigMapRef.Name, "%s: no ConfigMap %s in the manifests", c.Name, from.ConfigMapRef.Name)
				}
				for _, e := range c.Env {
					if e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil {
						container(t, p.spec, e.ValueFrom.ResourceFieldRef.ContainerName)
					}
				}
				requests := c.Resources.Requests
				require.False(t, requests.Cpu().IsZero(), "%s requests no CPU", c.Name)
				require.False(t, requests.Memory().IsZero(), "%s requests no memory", c.Name)
				limit := c.Resources.Limits.Memory()
				require.False(t, limit.IsZero(), "%s has no memory limit", c.Name)
				require.GreaterOrEqual(t, limit.Cmp(*requests.Memory()), 0, "%s: limit under request", c.Name)
			}
			for name := range volumes {
				require.True(t, used[name], "volume %s is mounted by no container", name)
			}
		})
	}
	require.NotEmpty(t, images)
	for _, image := range images {
		require.Equal(t, images[0], image, "every container runs the image of ./Dockerfile")
	}
}

// The clone writes the tree where the scan reads it, on the pod's own
// volume; the scan writes its shard onto the claim the merge reads from,
// and the merge writes its log there too, for the results pod to copy.
func TestPathsMeet(t *testing.T) {
	m := load(t)
	scanPod := &m.jobs["forkscan-scan"].Spec.Template.Spec
	clone, scan := container(t, scanPod, "clone"), container(t, scanPod, "scan")
	source := env(scan, "SOURCE_DIR")
	require.NotEmpty(t, source)
	require.Equal(t, source, env(clone, "SOURCE_DIR"), "the scan reads where the clone wrote")
	cloneMount, cloneVolume := mountOf(t, scanPod, clone, source)
	scanMount, scanVolume := mountOf(t, scanPod, scan, source)
	require.Equal(t, cloneVolume.Name, scanVolume.Name)
	require.Equal(t, cloneMount.MountPath, scanMount.MountPath)
	require.NotNil(t, scanVolume.EmptyDir, "each pod clones into a volume of its own")
	require.False(t, cloneMount.ReadOnly)
	require.NotEqual(t, cloneMount.MountPath, source, "git refuses a directory another user owns: the clone goes below the mount point")

	mergePod := &m.jobs["forkscan-merge"].Spec.Template.Spec
	merge := container(t, mergePod, "merge")
	results := env(scan, "RESULTS_DIR")
	require.NotEmpty(t, results)
	require.Equal(t, results, env(merge, "RESULTS_DIR"))
	var claims []string
	for _, side := range []struct {
		spec *corev1.PodSpec
		c    *corev1.Container
	}{{scanPod, scan}, {mergePod, merge}} {
		mount, volume := mountOf(t, side.spec, side.c, results)
		require.False(t, mount.ReadOnly, "%s writes to %s", side.c.Name, results)
		require.NotNil(t, volume.PersistentVolumeClaim, "%s: %s is not on the shared claim", side.c.Name, results)
		claims = append(claims, volume.PersistentVolumeClaim.ClaimName)
	}
	resultsPod := &m.pods["forkscan-results"].Spec
	_, volume := mountOf(t, resultsPod, &resultsPod.Containers[0], results)
	require.NotNil(t, volume.PersistentVolumeClaim)
	claims = append(claims, volume.PersistentVolumeClaim.ClaimName)
	require.Equal(t, []string{claims[0], claims[0], claims[0]}, claims, "scan, merge and results pod share one claim")

	// A worker per CPU the scan container asks for.
	i := slices.IndexFunc(scan.Env, func(e corev1.EnvVar) bool { return e.Name == "WORKERS" })
	require.GreaterOrEqual(t, i, 0)
	ref := scan.Env[i].ValueFrom.ResourceFieldRef
	require.Equal(t, "scan", ref.ContainerName)
	require.Equal(t, "requests.cpu", ref.Resource)
	require.Zero(t, ref.Divisor.Cmp(resource.MustParse("1")))
}

// script returns the shell script a container runs with sh -c.
func script(t *testing.T, c *corev1.Container) string {
	t.Helper()
	argv := slices.Concat(c.Command, c.Args)
	require.Len(t, argv, 3, "%s runs /bin/sh -c SCRIPT", c.Name)
	require.Equal(t, []string{"/bin/sh", "-c"}, argv[:2], c.Name)
	return argv[2]
}

// Every variable a script reads is set: by the container's env, by the
// ConfigMap it takes env from, by the Job controller (the index), or by
// the script itself; and no $(NAME) is in it, which Kubernetes would
// replace before the shell sees the script.
func TestScriptsHaveTheirVariables(t *testing.T) {
	m := load(t)
	for _, p := range m.podSpecs() {
		for _, c := range slices.Concat(p.spec.InitContainers, p.spec.Containers) {
			if len(c.Command) == 0 || c.Command[0] != "/bin/sh" {
				continue
			}
			t.Run(p.name+"/"+c.Name, func(t *testing.T) {
				text := script(t, &c)
				require.NotContains(t, text, "$(", "Kubernetes expands $(NAME) in command and args")
				given := map[string]bool{}
				for _, e := range c.Env {
					given[e.Name] = true
				}
				for _, from := range c.EnvFrom {
					for k := range m.configMaps[from.ConfigMapRef.Name].Data {
						given[k] = true
					}
				}
				if job, ok := m.jobs[strings.TrimPrefix(p.name, "job/")]; ok && job.Spec.CompletionMode != nil &&
					*job.Spec.CompletionMode == batchv1.IndexedCompletion {
					given["JOB_COMPLETION_INDEX"] = true
				}
				read, set := variables(t, text)
				for _, name := range read {
					require.True(t, given[name] || slices.Contains(set, name), "%s reads $%s, which nothing sets", c.Name, name)
				}
			})
		}
	}
}

// variables parses a POSIX shell script and returns the variables it
// reads and those it assigns (special parameters left out).
func variables(t *testing.T, script string) (read, set []string) {
	t.Helper()
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(script), "")
	require.NoError(t, err)
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.ParamExp:
			if name := n.Param.Value; syntax.ValidName(name) {
				read = append(read, name)
			}
		case *syntax.Assign:
			set = append(set, n.Name.Value)
		}
		return true
	})
	return read, set
}

// stub is a stand-in for forkscan on PATH: it notes each call's
// arguments, writes the file -o names (as a shard would), and exits with
// STUB_EXIT; with STUB_READY set it first says where it is and waits to
// be stopped by SIGTERM, as a long scan would be.
const stub = `#!/bin/sh
{ printf '%s\n' "$@"; echo; } >> "$STUB_LOG"
out=
while [ $# -gt 0 ]; do
	if [ "$1" = -o ]; then out=$2; fi
	shift
done
if [ -n "${STUB_READY:-}" ]; then
	trap 'echo TERM >> "$STUB_LOG.signals"; exit 130' TERM
	echo $$ > "$STUB_READY.tmp" && mv "$STUB_READY.tmp" "$STUB_READY"
	while :; do sleep 0.01; done
fi
if [ -n "$out" ]; then echo '{"type":"shard"}' > "$out"; fi
exit "${STUB_EXIT:-0}"
`

// sandbox is a directory with the stub forkscan in bin/ and its log.
type sandbox struct{ standin.Dir }

func newSandbox(t *testing.T) sandbox {
	t.Helper()
	return sandbox{standin.New(t, stub, "forkscan")}
}

// command is c's command, to run in the sandbox with env (NAME=value)
// and nothing else of the test's environment but PATH.
func (s sandbox) command(c *corev1.Container, env ...string) *exec.Cmd {
	argv := slices.Concat(c.Command, c.Args)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.Root
	cmd.Env = s.Env(s.Root, env...)
	return cmd
}

// run runs c's command to its end and returns its exit code and output.
func (s sandbox) run(t *testing.T, c *corev1.Container, env ...string) (int, string) {
	t.Helper()
	cmd := s.command(c, env...)
	out, err := cmd.CombinedOutput()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	require.NoError(t, err)
	return 0, string(out)
}

// One run of the shards and the merge, with the stand-in forkscan: pod I
// scans with --shard-count N into a file of its own, and the merge is
// given exactly the N files the scan pods wrote. A shard's findings (exit
// 1) succeed its pod, any other failure fails it with forkscan's code for
// the pod failure policy to see; a pod after a failed one resumes.
func TestScriptsRunTheScanAndTheMerge(t *testing.T) {
	realtool.Need(t, "/bin/sh")
	m := load(t)
	job := m.jobs["forkscan-scan"]
	shards := int(*job.Spec.Completions)
	scan := container(t, &job.Spec.Template.Spec, "scan")
	merge := container(t, &m.jobs["forkscan-merge"].Spec.Template.Spec, "merge")
	s := newSandbox(t)
	source, results := filepath.Join(s.Root, "work", "src"), filepath.Join(s.Root, "results")
	require.NoError(t, os.MkdirAll(source, 0o755))
	require.NoError(t, os.Mkdir(results, 0o755))
	dirs := []string{"SOURCE_DIR=" + source, "RESULTS_DIR=" + results, "WORKERS=2"}

	var outputs []string
	for i := range shards {
		code, out := s.run(t, scan, append(dirs, "JOB_COMPLETION_INDEX="+strconv.Itoa(i), "STUB_EXIT=1")...)
		require.Equal(t, 0, code, "findings (exit 1) succeed the shard's pod: %s", out)
		calls := s.Calls(t)
		require.Len(t, calls, 1)
		args := calls[0]
		require.Equal(t, "scan", args[0])
		require.NotContains(t, args, "--shard", "the index comes from JOB_COMPLETION_INDEX")
		require.Equal(t, strconv.Itoa(shards), standin.Flag(t, args, "--shard-count"), "--shard-count is the Job's completions")
		require.Equal(t, "2", standin.Flag(t, args, "--workers"))
		require.NotContains(t, args, "--resume", "a first try starts afresh")
		require.Equal(t, source, args[len(args)-1], "the scan reads the clone")
		output := standin.Flag(t, args, "-o")
		require.Equal(t, results, filepath.Dir(output), "the shard writes onto the shared volume")
		require.NotContains(t, outputs, output, "each shard writes a file of its own")
		outputs = append(outputs, output)
	}

	code, out := s.run(t, merge, "RESULTS_DIR="+results, "STUB_EXIT=1")
	require.Equal(t, 0, code, "the merge's findings (exit 1) succeed its Job: %s", out)
	calls := s.Calls(t)
	require.Len(t, calls, 1)
	args := calls[0]
	require.Equal(t, "merge", args[0])
	require.Equal(t, "sarif", standin.Flag(t, args, "--format"))
	require.Equal(t, filepath.Join(results, "merged.sarif"), standin.Flag(t, args, "-o"))
	slices.Sort(outputs)
	require.Equal(t, outputs, args[len(args)-shards:], "the merge is given every shard's output")
	require.NotContains(t, args[1:len(args)-shards], outputs[0], "and nothing else")

	// Exit codes: findings succeed, the rest is forkscan's own for the
	// pod failure policy (2 fails the index at once, others are retried).
	for exit, want := range map[int]int{0: 0, 1: 0, 2: 2, 3: 3, 4: 4, 130: 130} {
		code, out := s.run(t, scan, append(dirs, "JOB_COMPLETION_INDEX=0", "STUB_EXIT="+strconv.Itoa(exit))...)
		require.Equal(t, want, code, "scan exit %d: %s", exit, out)
		// The first shard's output is there now: each try resumes it.
		require.Contains(t, s.Calls(t)[0], "--resume")
		code, out = s.run(t, merge, "RESULTS_DIR="+results, "STUB_EXIT="+strconv.Itoa(exit))
		require.Equal(t, want, code, "merge exit %d: %s", exit, out)
		s.Calls(t)
	}
}

// Kubernetes stops a pod by sending SIGTERM to the container's first
// process, the shell: it hands it on to forkscan, waits for forkscan to
// stop (and end the shard's output as interrupted), and exits as it did.
func TestScanScriptPassesSIGTERMOn(t *testing.T) {
	realtool.Need(t, "/bin/sh")
	m := load(t)
	scan := container(t, &m.jobs["forkscan-scan"].Spec.Template.Spec, "scan")
	s := newSandbox(t)
	ready := filepath.Join(s.Root, "ready")
	cmd := s.command(scan, "SOURCE_DIR="+s.Root, "RESULTS_DIR="+s.Root, "WORKERS=2",
		"JOB_COMPLETION_INDEX=0", "STUB_READY="+ready)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	var stubPid int
	t.Cleanup(func() {
		// Whatever happened, leave no process behind.
		if stubPid > 0 {
			_ = syscall.Kill(stubPid, syscall.SIGKILL)
		}
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	// Signal only once the stub waits for it and the shell catches it.
	testwait.For(t, 30*time.Second, "the script to get ready (the stub waiting, the shell catching SIGTERM)", func() bool {
		data, err := os.ReadFile(ready)
		if err == nil {
			stubPid, err = strconv.Atoi(strings.TrimSpace(string(data)))
			require.NoError(t, err)
		}
		return err == nil && catches(t, cmd.Process.Pid, syscall.SIGTERM)
	})
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err := cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, out.String())
	require.Equal(t, 130, exit.ExitCode(), "the shell exits with forkscan's code: %s", &out)
	signals, err := os.ReadFile(s.Log + ".signals")
	require.NoError(t, err, "forkscan never got SIGTERM")
	require.Equal(t, "TERM\n", string(signals))
}

// catches reports whether process pid has a handler for sig (Linux's
// /proc/PID/status, SigCgt).
func catches(t *testing.T, pid int, sig syscall.Signal) bool {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(status)) {
		if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			bits, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			require.NoError(t, err)
			return bits&(1<<(sig-1)) != 0
		}
	}
	return false
}

// The init container's script clones REPO_REF of REPO_URL to SOURCE_DIR:
// a commit, or a branch.
func TestCloneScript(t *testing.T) {
	realtool.Need(t, "/bin/sh")
	realtool.Need(t, "git")
	m := load(t)
	job := m.jobs["forkscan-scan"]
	clone := container(t, &job.Spec.Template.Spec, "clone")
	cm := m.configMaps[clone.EnvFrom[0].ConfigMapRef.Name]
	require.Contains(t, cm.Data, "REPO_URL")
	require.Contains(t, cm.Data, "REPO_REF")
	s := newSandbox(t)

	// A repository of two commits, on branch main.
	repo := filepath.Join(s.Root, "repo")
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Env = []string{"HOME=" + s.Root, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1"}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %q: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	require.NoError(t, os.Mkdir(repo, 0o755))
	git("init", "-q", "-b", "main")
	for _, text := range []string{"first\n", "second\n"} {
		require.NoError(t, os.WriteFile(filepath.Join(repo, "file.txt"), []byte(text), 0o644))
		git("add", "file.txt")
		git("commit", "-q", "-m", text)
	}
	first := git("rev-parse", "HEAD~1")

	for ref, want := range map[string]string{first: "first\n", "main": "second\n"} {
		source := filepath.Join(t.TempDir(), "src")
		code, out := s.run(t, clone, "SOURCE_DIR="+source, "REPO_URL="+repo, "REPO_REF="+ref, "GIT_CONFIG_NOSYSTEM=1")
		require.Equal(t, 0, code, "clone of %s: %s", ref, out)
		got, err := os.ReadFile(filepath.Join(source, "file.txt"))
		require.NoError(t, err)
		require.Equal(t, want, string(got), "clone of %s", ref)
	}
	code, out := s.run(t, clone, "SOURCE_DIR="+filepath.Join(t.TempDir(), "src"), "REPO_URL="+repo, "REPO_REF=nosuchbranch")
	require.NotEqual(t, 0, code, "a ref that is not there fails the pod: %s", out)
}

// shellcheck finds nothing to say about the scripts, read as POSIX sh.
func TestScriptsPassShellcheck(t *testing.T) {
	shellcheck := realtool.Need(t, "shellcheck")
	m := load(t)
	for _, p := range m.podSpecs() {
		for _, c := range slices.Concat(p.spec.InitContainers, p.spec.Containers) {
			if len(c.Command) == 0 || c.Command[0] != "/bin/sh" {
				continue
			}
			cmd := exec.Command(shellcheck, "--shell=sh", "-")
			cmd.Stdin = strings.NewReader(script(t, &c))
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s/%s:\n%s", p.name, c.Name, out)
		}
	}
}
