package secrets

import (
	"fmt"
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
