// Package sarifschema checks a SARIF log, for the tests of every package
// that writes SARIF, in two ways: against the SARIF 2.1.0 JSON schema
// (OASIS, errata 01), embedded here, as xmllint --schema checks XML
// (Validate); and with Microsoft's SARIF validator and GitHub's rules for
// what code scanning takes, as a linter would (Check, Passes; the
// validator is an npm package .ci/sarif installs).
package sarifschema

import (
	"bytes"
	_ "embed"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed sarif-schema-2.1.0.json
var schemaJSON []byte

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("sarif-schema-2.1.0.json")
})

// Validate returns nil if log is a valid SARIF 2.1.0 log, and an error
// saying where it is not otherwise.
func Validate(log []byte) error {
	schema, err := compiled()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(log))
	if err != nil {
		return err
	}
	return schema.Validate(doc)
}
