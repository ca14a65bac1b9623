package engine

import "github.com/forkscan/forkscan/worker/scan"

// ScannerSettings returns, for each of c's scanners, the fingerprint of
// the settings c gives it (scan.Def.SettingsFingerprint of its
// ScannerOptions; "" for none, or an unknown scanner): what the run's
// records of that scanner carry in their Settings, and what a resumed
// run compares them with (resume.Options.Settings). A fingerprint is
// computed once per run, in the parent.
func (c Config) ScannerSettings() map[string]string {
	out := make(map[string]string, len(c.Scanners))
	for _, name := range c.Scanners {
		def, _ := scan.Lookup(name)
		out[name] = def.SettingsFingerprint(c.ScannerOptions[name])
	}
	return out
}
