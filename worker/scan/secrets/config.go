package secrets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

// translate parses a gitleaks TOML configuration as gitleaks does: through
// viper's global instance (an [extend] section reads the default rules or
// another file through it), under viperMu. gitleaks panics on a rule whose
// regex does not compile; that is an error here, like any other mistake in
// the file.
func translate(text string) (cfg config.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			cfg, err = config.Config{}, fmt.Errorf("%v", r)
		}
	}()
	viper.Reset()
	viper.SetConfigType("toml")
	if err := viper.ReadConfig(strings.NewReader(text)); err != nil {
		return config.Config{}, err
	}
	var vc config.ViperConfig
	if err := viper.Unmarshal(&vc); err != nil {
		return config.Config{}, err
	}
	return vc.Translate()
}

// ErrConfigFile is wrapped by Find's error for a config file that cannot
// be read or parsed.
var ErrConfigFile = errors.New("gitleaks config file")

// Find makes the options that `gitleaks dir` would find for a scan of
// roots, with noRedact: the config at path if one is named, else
// .gitleaks.toml in the root when there is one root and it has one
// (otherwise gitleaks' default rules); and the fingerprints of the
// .gitleaksignore files in the roots. The config is checked here, so a
// mistake in it is an error naming the file (wrapping ErrConfigFile and,
// for one that does not parse, an INVALID_INPUT *scan.Error), not a
// worker that fails to start.
func Find(roots []string, path string, noRedact bool) (Options, error) {
	o := Options{NoRedact: noRedact}
	if auto := filepath.Join(roots[0], ".gitleaks.toml"); path == "" && len(roots) == 1 && isFile(auto) {
		path = auto
	}
	if path != "" {
		text, err := os.ReadFile(path)
		if err != nil {
			return o, fmt.Errorf("%w: %w", ErrConfigFile, err)
		}
		if _, err := LoadConfig(string(text)); err != nil {
			return o, fmt.Errorf("%w %s: %w", ErrConfigFile, path, err)
		}
		o.Config, o.ConfigPath = string(text), absPath(path)
	}
	for _, root := range roots {
		ignore, err := os.ReadFile(filepath.Join(root, ".gitleaksignore"))
		if err != nil {
			continue // none, or not a directory
		}
		for _, line := range strings.Split(string(ignore), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				o.Ignore = append(o.Ignore, line)
			}
		}
	}
	return o, nil
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
