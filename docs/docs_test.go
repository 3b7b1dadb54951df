package docs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestJSONRoundTripsTheYAML(t *testing.T) {
	raw, err := OpenAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON any
	if err := json.Unmarshal(raw, &fromJSON); err != nil {
		t.Fatalf("the JSON does not parse: %v", err)
	}
	var fromYAML any
	if err := yaml.Unmarshal(OpenAPIYAML(), &fromYAML); err != nil {
		t.Fatalf("the YAML does not parse: %v", err)
	}
	want, err := jsonValue(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, want) {
		t.Fatal("the JSON says something other than the YAML")
	}
	again, err := OpenAPIJSON()
	if err != nil || !bytes.Equal(raw, again) {
		t.Errorf("a second call answered differently (%v)", err)
	}
}

// jsonValue turns what yaml.v3 decodes into what encoding/json would: float64 numbers
// and map[string]any objects.
func jsonValue(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case float64, string, bool, nil:
		return x, nil
	case time.Time:
		return nil, fmt.Errorf("unquoted timestamp %v: quote it, so that it stays a string", x)
	}
	return nil, fmt.Errorf("unexpected %T in the YAML", v)
}

func TestTheDocumentIsOpenAPI31(t *testing.T) {
	raw, err := OpenAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
		Comps   struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/events/{event_id}/holds", "/ws/events/{event_id}"} {
		if doc.Paths[p] == nil {
			t.Errorf("no path %s", p)
		}
	}
	if doc.Comps.Schemas["Error"] == nil {
		t.Error("no Error schema")
	}
}

func TestConversion(t *testing.T) {
	tests := []struct {
		name, in, want, fails string
	}{
		{name: "order kept", in: "b: 1\na: [x, 2.5, true, null]\n", want: `{"b":1,"a":["x",2.5,true,null]}`},
		{name: "quoted stays a string", in: "'200': '1'\nat: '2026-01-01T00:00:00Z'\n", want: `{"200":"1","at":"2026-01-01T00:00:00Z"}`},
		{name: "unquoted timestamp is a string", in: "at: 2026-01-01T00:00:00Z\n", want: `{"at":"2026-01-01T00:00:00Z"}`},
		{name: "alias", in: "a: &x {k: v}\nb: *x\n", want: `{"a":{"k":"v"},"b":{"k":"v"}}`},
		{name: "block text", in: "d: |\n  one\n  two\n", want: `{"d":"one\ntwo\n"}`},
		{name: "not a number", in: "a: .nan\n", fails: "no JSON form"},
		{name: "complex key", in: "? [a]\n: b\n", fails: "plain scalars"},
		{name: "duplicate key", in: "a: 1\na: 2\n", fails: "duplicate"},
		{name: "not yaml", in: "a: [\n", fails: "parse yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := yamlToJSON([]byte(tt.in))
			if tt.fails != "" {
				if err == nil || !strings.Contains(err.Error(), tt.fails) {
					t.Fatalf("error %v, want one saying %q", err, tt.fails)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, got); err != nil {
				t.Fatal(err)
			}
			if compact.String() != tt.want {
				t.Errorf("got %s, want %s", compact.String(), tt.want)
			}
		})
	}
}
