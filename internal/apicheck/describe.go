package apicheck

import (
	"fmt"
	"strings"

	vErrors "github.com/pb33f/libopenapi-validator/errors"
)

// describe renders one validation error as a line that names the field: one part per
// schema failure, with its JSON path, or the validator's message and reason.
func describe(e *vErrors.ValidationError) string {
	if len(e.SchemaValidationErrors) == 0 {
		msg := e.Message
		if e.Reason != "" && e.Reason != e.Message {
			msg += ": " + e.Reason
		}
		return msg
	}
	parts := make([]string, 0, len(e.SchemaValidationErrors))
	for _, f := range e.SchemaValidationErrors {
		field := f.FieldPath
		if field == "" {
			field = "$"
		}
		part := fmt.Sprintf("%s: %s", field, f.Reason)
		if f.KeywordLocation != "" {
			part += " (schema " + f.KeywordLocation + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}
