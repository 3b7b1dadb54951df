package apicheck

import (
	"fmt"
	"strings"

	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
)

// Message checks a JSON value against one of the document's component schemas, named
// as under components/schemas: the websocket messages (WsEventMessage, WsSnapshot,
// VisualizerMessage…), which no HTTP response carries. The error names the schema and
// every field that failed.
func (c *Checker) Message(schema string, body []byte) error {
	proxy := c.model.Components.Schemas.GetOrZero(schema)
	if proxy == nil {
		return fmt.Errorf("%s: no such schema in the document", schema)
	}
	s := proxy.Schema()
	if s == nil {
		return fmt.Errorf("%s: the schema does not build: %w", schema, proxy.GetBuildError())
	}
	c.mu.Lock()
	valid, problems := c.schemas.ValidateSchemaBytes(s, body)
	c.mu.Unlock()
	if valid {
		return nil
	}
	msgs := make([]string, 0, len(problems))
	for _, p := range problems {
		msgs = append(msgs, describe(p))
	}
	return fmt.Errorf("%s: %s", schema, strings.Join(msgs, "; "))
}

func newSchemaValidator() schema_validation.SchemaValidator {
	return schema_validation.NewSchemaValidator(config.WithFormatAssertions())
}
