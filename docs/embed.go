package docs

import (
	_ "embed"
	"fmt"
	"sync"
)

//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON converts the embedded document once, on first use. It is computed from
// the embedded bytes alone, so it is a constant that happens to be built lazily.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	out, err := yamlToJSON(openAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml to JSON: %w", err)
	}
	return out, nil
})

// OpenAPIYAML returns the OpenAPI document as written, in YAML. The caller must not
// modify the slice; copy it first.
func OpenAPIYAML() []byte { return openAPIYAML }

// OpenAPIJSON returns the OpenAPI document converted to JSON, keys in the order the
// YAML gives them. The conversion runs once; a document that cannot be expressed in
// JSON is an error (the tests make sure the embedded one can). The caller must not
// modify the slice; copy it first.
func OpenAPIJSON() ([]byte, error) { return openAPIJSON() }
