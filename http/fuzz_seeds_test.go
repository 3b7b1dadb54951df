package http

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ticketblitz/ticketblitz/docs"
)

// documentRequests returns the request bodies docs/openapi.yaml gives as examples of
// an operation: the examples of its request body, and those of the body's schema and
// of each schema it is one of. The fuzz targets start from them, and each must decode.
func documentRequests(tb testing.TB, operationID string) [][]byte {
	tb.Helper()
	raw, err := docs.OpenAPIJSON()
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]exampleSchema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, item := range doc.Paths {
		for _, rawOp := range item {
			var op struct {
				OperationID string `json:"operationId"`
				RequestBody struct {
					Content map[string]struct {
						Schema   exampleSchema              `json:"schema"`
						Example  json.RawMessage            `json:"example"`
						Examples map[string]json.RawMessage `json:"examples"`
					} `json:"content"`
				} `json:"requestBody"`
			}
			if json.Unmarshal(rawOp, &op) != nil || op.OperationID != operationID {
				continue
			}
			body := op.RequestBody.Content["application/json"]
			if body.Example != nil {
				out = append(out, []byte(body.Example))
			}
			for _, ex := range body.Examples {
				var named struct {
					Value json.RawMessage `json:"value"`
				}
				if err := json.Unmarshal(ex, &named); err != nil {
					tb.Fatal(err)
				}
				out = append(out, []byte(named.Value))
			}
			schemas := []string{body.Schema.name()}
			for len(schemas) > 0 {
				s := doc.Components.Schemas[schemas[0]]
				schemas = schemas[1:]
				for _, ex := range s.Examples {
					out = append(out, []byte(ex))
				}
				for _, alt := range s.OneOf {
					schemas = append(schemas, alt.name())
				}
			}
		}
	}
	if len(out) == 0 {
		tb.Fatalf("docs/openapi.yaml has no request example of %s", operationID)
	}
	return out
}

// exampleSchema is what documentRequests reads of a schema.
type exampleSchema struct {
	Ref      string            `json:"$ref"`
	Examples []json.RawMessage `json:"examples"`
	OneOf    []exampleSchema   `json:"oneOf"`
}

func (s exampleSchema) name() string {
	return strings.TrimPrefix(s.Ref, "#/components/schemas/")
}

// TestDocumentRequestsDecode: every request the document shows as an example is one
// the decoders accept.
func TestDocumentRequestsDecode(t *testing.T) {
	d, err := newDecoder()
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range documentRequests(t, "createHold") {
		if _, err := d.decodeHoldRequest(body, "e1", "alice"); err != nil {
			t.Errorf("createHold example %s: %v", body, err)
		}
	}
	for _, body := range documentRequests(t, "createEvent") {
		if _, err := d.decodeCreateEvent(body); err != nil {
			t.Errorf("createEvent example %s: %v", body, err)
		}
	}
	for _, body := range documentRequests(t, "confirmHold") {
		if _, err := d.decodeConfirm(body); err != nil {
			t.Errorf("confirmHold example %s: %v", body, err)
		}
	}
	for _, body := range documentRequests(t, "issueDevToken") {
		if _, err := d.decodeToken(body); err != nil {
			t.Errorf("issueDevToken example %s: %v", body, err)
		}
	}
}
