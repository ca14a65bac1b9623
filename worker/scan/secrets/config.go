package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/forkscan/forkscan/beneath"
)

// ErrConfigFile is wrapped by Find's error for a config file that cannot
// be read or parsed, or that extends a file it may not.
var ErrConfigFile = errors.New("gitleaks config file")

// Lookup says where Find looks for a scan's secrets settings.
type Lookup struct {
	// Roots are the scan's roots; a .gitleaks.toml in the first (when it
	// is the only one) and a .gitleaksignore in each are read, beneath
	// the root.
	Roots []string
	// Config is a config file a person named (--secrets-config): read as
	// named, and the files its [extend] path names read wherever they
	// are. Empty: .gitleaks.toml in the root, whose [extend] path must
	// stay inside the root.
	Config string
	// NoRedact shows secrets in findings.
	NoRedact bool
	// Within, if set, are the directories the roots lie in (a service's
	// roots): each root is opened beneath them (beneath.OpenDirIn).
	Within []string
}

// Find makes the options that `gitleaks dir` would find for a scan, and
// says which files it read. A config file is the one Lookup.Config names,
// else .gitleaks.toml in the root when there is one root and it has one
// (otherwise gitleaks' default rules); the fingerprints are those of the
// .gitleaksignore files in the roots. Every file a tree holds is read
// beneath its root, never waiting on a FIFO or a device, up to
// beneath.MaxSettings bytes, and a config found in a tree may not extend
// a file outside it. The config is checked here, so a mistake in it is an
// error naming the file (wrapping ErrConfigFile and, for one that does
// not parse, an INVALID_INPUT *scan.Error), not a worker that fails to
// start.
func Find(l Lookup) (Options, []string, error) {
	o := Options{NoRedact: l.NoRedact}
	var read []string
	var src *source
	switch {
	case l.Config != "":
		src = &source{name: l.Config, dir: filepath.Dir(absPath(l.Config))}
	case len(l.Roots) == 1:
		d, err := openRoot(l.Roots[0], l.Within)
		if err == nil {
			defer d.Close()
			if _, err := d.Lstat(".gitleaks.toml"); err == nil {
				src = &source{name: filepath.Join(l.Roots[0], ".gitleaks.toml"), root: d, dir: absPath(l.Roots[0])}
			}
		}
	}
	if src != nil {
		text, files, err := src.load()
		if err != nil {
			return o, nil, fmt.Errorf("%w %s: %w", ErrConfigFile, src.name, err)
		}
		if err := Check(text, files); err != nil {
			return o, nil, fmt.Errorf("%w %s: %w", ErrConfigFile, src.name, err)
		}
		o.Config, o.Files, o.ConfigPath, o.Checked = text, files, absPath(src.name), true
		read = append(read, src.name)
		for name := range files {
			read = append(read, name)
		}
	}
	for _, root := range l.Roots {
		ignore, err := readIgnore(root, l.Within)
		if err != nil {
			return o, nil, fmt.Errorf("%w %s: %w", ErrConfigFile, filepath.Join(root, ".gitleaksignore"), err)
		}
		if ignore != nil {
			read = append(read, filepath.Join(root, ".gitleaksignore"))
		}
		o.Ignore = append(o.Ignore, ignore...)
	}
	return o, read, nil
}

// readIgnore reads the fingerprints of root's .gitleaksignore: none if it
// has none (or root is not a directory).
func readIgnore(root string, within []string) ([]string, error) {
	d, err := openRoot(root, within)
	if err != nil {
		return nil, nil // not a directory, or gone: the walk says so
	}
	defer d.Close()
	data, err := d.ReadFile(".gitleaksignore", beneath.MaxSettings)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := []string{}
	for line := range strings.SplitSeq(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, nil
}

func openRoot(root string, within []string) (*beneath.Dir, error) {
	if len(within) > 0 {
		return beneath.OpenDirIn(within, absPath(root))
	}
	return beneath.OpenDir(root)
}

// source is a config file to load, with the files it extends.
type source struct {
	name string
	root *beneath.Dir // the tree it was found in; nil for one a person named
	dir  string       // where relative [extend] paths start from
}

// load reads the config and, to gitleaks' depth of extension, the files
// its [extend] path names: relative to the directory of the config that
// names each, and for a config found in a tree, beneath that tree. It
// returns the config's text and the extended files' texts by the name the
// config gives each, as viper will ask for them.
func (s *source) load() (string, map[string]string, error) {
	text, err := s.read(s.name)
	if err != nil {
		return "", nil, err
	}
	files := map[string]string{}
	from, dir := text, s.dir
	for range maxExtendDepth {
		name := extendPath(from)
		if name == "" {
			break
		}
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		if from, err = s.read(path); err != nil {
			return "", nil, fmt.Errorf("[extend] path %q: %w", name, err)
		}
		files[name], dir = from, filepath.Dir(path)
	}
	return text, files, nil
}

// maxExtendDepth is how many configs deep gitleaks follows [extend] paths.
const maxExtendDepth = 2

// extendPath is the [extend] path of a config's text; "" if it has none or
// does not parse (gitleaks then says what is wrong).
func extendPath(text string) string {
	var ext struct{ Extend struct{ Path string } }
	if toml.Unmarshal([]byte(text), &ext) != nil {
		return ""
	}
	return ext.Extend.Path
}

// read reads a file of the config: beneath the tree for one found in a
// tree, as named for one a person named.
func (s *source) read(path string) (string, error) {
	if s.root == nil {
		b, err := beneath.ReadFile(path, beneath.MaxSettings)
		return string(b), err
	}
	rel, err := filepath.Rel(s.dir, absPath(path))
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%s %w: a config found in a scanned tree may extend only files of that tree", path, beneath.ErrOutside)
	}
	b, err := s.root.ReadFile(rel, beneath.MaxSettings)
	return string(b), err
}

func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
