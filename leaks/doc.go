// Package leaks finds secrets in text with gitleaks' rules.
package leaks
