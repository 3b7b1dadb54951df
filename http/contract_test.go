package http

import (
	"fmt"
	nethttp "net/http"
	"sync"
	"testing"

	"github.com/ticketblitz/ticketblitz/docs"
	"github.com/ticketblitz/ticketblitz/internal/apicheck"
)

// contract is the OpenAPI document's checker, loaded once for every test of the
// package: the request helpers hold each answer of the real handlers to it.
var contract = sync.OnceValues(apicheck.New)

// checkAnswer holds an answer to the document; answers to paths the document does not
// have must be the 404 NOT_FOUND every unknown route gets.
func checkAnswer(req *nethttp.Request, status int, header nethttp.Header, body []byte) error {
	c, err := contract()
	if err != nil {
		return fmt.Errorf("the OpenAPI document: %w", err)
	}
	if err := c.Answer(req, status, header, body); err != nil {
		return fmt.Errorf("the answer breaks docs/openapi.yaml: %w", err)
	}
	return nil
}

// openAPIJSON is the document the test servers serve on /api/v1/openapi.json.
func openAPIJSON(t *testing.T) []byte {
	t.Helper()
	doc, err := docs.OpenAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
