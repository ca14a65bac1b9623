package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/forkscan/forkscan/engine"
	"github.com/forkscan/forkscan/record"
	"github.com/forkscan/forkscan/tree"
)

// The environment a scheduler gives a shard its place in.
const (
	envJobIndex = "JOB_COMPLETION_INDEX" // Kubernetes Indexed Jobs: from 0
	envShards   = "FORKSCAN_SHARDS"      // the count to go with it
	envCIIndex  = "CI_NODE_INDEX"        // GitLab's parallel jobs: from 1
	envCITotal  = "CI_NODE_TOTAL"
)

// shardFlags are scan's flags for one shard of a scan spread over
// machines.
type shardFlags struct {
	shard string
	by    string
	count int
}

func (s *shardFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.shard, "shard", "", "scan only shard I of N of the tree (`I/N`, from 1/N to N/N); join the shards' outputs with forkscan merge")
	fl.StringVar(&s.by, "shard-by", "", "how shards split the tree: hash (of each path; the default) or size (balance bytes; lists the whole tree first)")
	fl.IntVar(&s.count, "shard-count", 0, "the shard count, when the index comes from "+envJobIndex+" (a Kubernetes Indexed Job); or set "+envShards)
}

// countFrom is a shard count and where it came from.
type countFrom struct {
	n    int
	from string
}

// resolve says which shard this run is, from the flags and then the
// environment (getenv): --shard's I/N; else JOB_COMPLETION_INDEX (from 0)
// with --shard-count or FORKSCAN_SHARDS; else CI_NODE_INDEX with
// CI_NODE_TOTAL. A flag's index wins; every count given must agree. The
// zero Shard: not sharded.
func (s shardFlags) resolve(getenv func(string) string) (tree.Shard, error) {
	var sh tree.Shard
	var counts []countFrom
	if s.shard != "" {
		var err error
		if sh, err = tree.ParseShard(s.shard); err != nil {
			return sh, usageErr("--shard: %w", err)
		}
		counts = append(counts, countFrom{sh.Count, "--shard " + s.shard})
	}
	if s.count != 0 {
		if s.count < 1 || s.count > tree.MaxShards {
			return sh, usageErr("--shard-count must be from 1 to %d (the most shards a scan may have), got %d", tree.MaxShards, s.count)
		}
		counts = append(counts, countFrom{s.count, "--shard-count " + strconv.Itoa(s.count)})
	}
	for _, name := range []string{envShards, envCITotal} {
		if v := getenv(name); v != "" && (name != envCITotal || getenv(envCIIndex) != "") {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > tree.MaxShards {
				return sh, usageErr("%s=%q is not a shard count (a whole number from 1 to %d, the most shards a scan may have)", name, v, tree.MaxShards)
			}
			counts = append(counts, countFrom{n, name + "=" + v})
		}
	}
	index, from := sh.Index, "--shard "+s.shard
	if s.shard == "" {
		var err error
		if index, from, err = envIndex(getenv); err != nil {
			return sh, err
		}
	}
	return s.settle(index, from, counts)
}

// envIndex is the shard index the environment gives (0: none), and the
// variable that gave it.
func envIndex(getenv func(string) string) (int, string, error) {
	if v := getenv(envJobIndex); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n >= tree.MaxShards {
			return 0, "", usageErr("%s=%q is not a job index (a whole number from 0 to %d)", envJobIndex, v, tree.MaxShards-1)
		}
		return n + 1, envJobIndex + "=" + v, nil
	}
	if v := getenv(envCIIndex); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > tree.MaxShards {
			return 0, "", usageErr("%s=%q is not a node index (a whole number from 1 to %d)", envCIIndex, v, tree.MaxShards)
		}
		return n, envCIIndex + "=" + v, nil
	}
	return 0, "", nil
}

// settle makes the shard of an index and the counts given.
func (s shardFlags) settle(index int, from string, counts []countFrom) (tree.Shard, error) {
	for _, c := range counts[min(1, len(counts)):] {
		if c.n != counts[0].n {
			return tree.Shard{}, usageErr("the shard count differs: %s, but %s", counts[0].from, c.from)
		}
	}
	switch {
	case index == 0 && len(counts) > 0:
		return tree.Shard{}, usageErr("%s gives a shard count but no index: give --shard I/N, or set %s (from 0) or %s (from 1)", counts[0].from, envJobIndex, envCIIndex)
	case index == 0 && s.by != "":
		return tree.Shard{}, usageErr("--shard-by only means something with --shard")
	case index == 0:
		return tree.Shard{}, nil
	case len(counts) == 0:
		return tree.Shard{}, usageErr("%s gives a shard index but no count: give --shard-count N or set %s", from, envShards)
	}
	sh := tree.Shard{Index: index, Count: counts[0].n, By: tree.Split(s.by)}
	if err := sh.Check(); err != nil {
		return sh, usageErr("%s with %s: %w", from, counts[0].from, err)
	}
	return sh, nil
}

// shardHeader is what a shard's output says it is; an error if a merge
// would refuse it (so many roots that the header is too long).
func shardHeader(sh tree.Shard, roots []string, cfg engine.Config, f scanFlags) (*record.ShardHeader, error) {
	if sh.Count == 0 {
		return nil, nil
	}
	h := &record.ShardHeader{
		Shard: sh.Index, Shards: sh.Count, Split: string(sh.Split()), Roots: roots,
		Scanners: cfg.Scanners, Settings: settings(cfg, f), Version: versionString(),
	}
	if err := h.Check(); err != nil {
		return nil, usageErr("--shard %s: %w: give fewer paths", sh, err)
	}
	return h, nil
}

// settings is a fingerprint of what decides which files a scan scans and
// what their records say: the scanners and their options, the walk's
// filter and the largest file scanned. How the scan runs (workers, time
// limits, retries) is left out: shards on machines of different sizes
// may run differently and still belong together.
func settings(cfg engine.Config, f scanFlags) string {
	b, _ := json.Marshal(struct { // maps marshal in key order
		Scanners    []string
		Options     map[string][]byte
		NoIgnore    bool
		Include     []string
		Exclude     []string
		MaxFileSize int64
		Archives    [4]int64
		History     string `json:",omitempty"`
	}{cfg.Scanners, cfg.ScannerOptions, f.noIgnore, slices.Sorted(slices.Values(f.include)), slices.Sorted(slices.Values(f.exclude)), cfg.MaxFileSize,
		[4]int64{int64(cfg.MaxArchiveDepth), cfg.MaxArchiveSize, int64(cfg.MaxArchiveMembers), int64(cfg.MaxArchiveRatio)}, f.settingsExtra})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// sayShard is the summary's line for a shard.
func sayShard(h *record.ShardHeader) string {
	if h == nil {
		return ""
	}
	return fmt.Sprintf("shard %s of the tree (split by %s); join the shards' outputs with forkscan merge", h, h.Split)
}
