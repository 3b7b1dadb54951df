package apicheck

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ticketblitz/ticketblitz/docs"
)

// TestDocumentExamplesAreValid holds every example the document gives to the
// document's own schemas: each response example to its route and status, each request
// example to its request body, each schema example to its schema. An example that
// drifts from its schema fails here.
func TestDocumentExamplesAreValid(t *testing.T) {
	c := newTestChecker(t)
	doc := loadJSONDocument(t)
	responses := 0
	requests := 0
	for _, path := range sortedKeys(doc.Paths) {
		for _, method := range sortedKeys(doc.Paths[path]) {
			op, ok := doc.Paths[path][method].(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			route := Route{Method: strings.ToUpper(method), Path: path}
			target := concretePath(path)
			resps, _ := op["responses"].(map[string]any)
			for _, status := range sortedKeys(resps) {
				resp := doc.resolve(resps[status])
				header := requiredHeaders(doc, resp)
				for media, value := range examplesOf(doc, resp) {
					responses++
					code, err := strconv.Atoi(status)
					if err != nil {
						t.Fatalf("%s: status %q: %v", route, status, err)
					}
					h := header.Clone()
					mediaType, _, _ := strings.Cut(media, " ")
					h.Set("Content-Type", mediaType)
					body := encodeExample(t, mediaType, value)
					req := httptest.NewRequest(route.Method, target, nil)
					if err := c.Response(req, code, h, body); err != nil {
						t.Errorf("example of %s %s (%s): %v", route, status, media, err)
					}
				}
			}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				for media, value := range examplesOf(doc, rb) {
					requests++
					schema := doc.resolve(rb["content"].(map[string]any)[strings.Fields(media)[0]]).(map[string]any)["schema"]
					name := strings.TrimPrefix(schema.(map[string]any)["$ref"].(string), "#/components/schemas/")
					if err := c.Message(name, encodeExample(t, "application/json", value)); err != nil {
						t.Errorf("request example of %s (%s): %v", route, media, err)
					}
				}
			}
		}
	}
	schemas := 0
	for _, name := range sortedKeys(doc.Components.Schemas) {
		s, _ := doc.Components.Schemas[name].(map[string]any)
		list, _ := s["examples"].([]any)
		for _, ex := range list {
			schemas++
			if err := c.Message(name, encodeExample(t, "application/json", ex)); err != nil {
				t.Errorf("example of schema %s: %v", name, err)
			}
		}
	}
	t.Logf("checked %d response, %d request and %d schema examples", responses, requests, schemas)
	if responses < 20 || requests < 5 || schemas < 4 {
		t.Errorf("checked %d response, %d request and %d schema examples: the walk missed some", responses, requests, schemas)
	}
}

type jsonDocument struct {
	Paths      map[string]map[string]any `json:"paths"`
	Components struct {
		Schemas   map[string]any `json:"schemas"`
		Responses map[string]any `json:"responses"`
		Headers   map[string]any `json:"headers"`
	} `json:"components"`
}

func loadJSONDocument(t *testing.T) *jsonDocument {
	t.Helper()
	raw, err := docs.OpenAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var d jsonDocument
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// resolve follows a local $ref to a component response or header.
func (d *jsonDocument) resolve(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	ref, ok := m["$ref"].(string)
	if !ok {
		return v
	}
	switch {
	case strings.HasPrefix(ref, "#/components/responses/"):
		return d.Components.Responses[strings.TrimPrefix(ref, "#/components/responses/")]
	case strings.HasPrefix(ref, "#/components/headers/"):
		return d.Components.Headers[strings.TrimPrefix(ref, "#/components/headers/")]
	}
	return v
}

// examplesOf returns the examples of a response or request body by media type (with
// the example's name after a space when there are several).
func examplesOf(d *jsonDocument, obj any) map[string]any {
	out := map[string]any{}
	m, _ := obj.(map[string]any)
	content, _ := m["content"].(map[string]any)
	for media, v := range content {
		mt, _ := v.(map[string]any)
		if ex, ok := mt["example"]; ok {
			out[media] = ex
		}
		exs, _ := mt["examples"].(map[string]any)
		for name, e := range exs {
			out[media+" "+name] = e.(map[string]any)["value"]
		}
	}
	return out
}

// requiredHeaders gives each required response header a value that fits it.
func requiredHeaders(d *jsonDocument, resp any) http.Header {
	values := map[string]string{
		"X-Request-Id":     "req-1",
		"Retry-After":      "1",
		"WWW-Authenticate": `Bearer realm="ticketblitz"`,
		"Upgrade":          "websocket",
	}
	h := http.Header{}
	m, _ := resp.(map[string]any)
	headers, _ := m["headers"].(map[string]any)
	for name := range headers {
		h.Set(name, values[name])
	}
	return h
}

func encodeExample(t *testing.T, mediaType string, v any) []byte {
	t.Helper()
	if s, ok := v.(string); ok && !strings.Contains(mediaType, "json") {
		return []byte(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// concretePath fills every {param} of a template with a plausible value.
func concretePath(template string) string {
	r := strings.NewReplacer("{event_id}", "demo", "{section_id}", "A", "{hold_id}", "h_1", "{order_id}", "o_1", "{id}", "fs_1")
	return r.Replace(template)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
