package http

import (
	"bytes"
	"testing"
)

func TestOpenAPIDocumentIsServedAsGiven(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/api/v1/openapi.json", "", nil)
	r.expectStatus(t, 200)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if !bytes.Equal([]byte(r.raw), openAPIJSON(t)) {
		t.Error("the body is not the document the server was given")
	}
	if r.body["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", r.body["openapi"])
	}

	none := newEnv(t, func(c *Config) { c.OpenAPI = nil })
	none.offContract = true // the binary always serves its document
	none.do(t, "GET", "/api/v1/openapi.json", "", nil).expectError(t, 404, "NOT_FOUND")
}
