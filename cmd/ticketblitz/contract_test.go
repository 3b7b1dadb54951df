package main

import (
	"fmt"
	nethttp "net/http"
	"sync"
	"testing"

	"github.com/ticketblitz/ticketblitz/internal/apicheck"
)

// contract is the OpenAPI document's checker, loaded once for the package's tests:
// every answer the end-to-end tests receive is held to it.
var contract = sync.OnceValues(apicheck.New)

// checker returns the document's checker, failing the test when it does not load.
func checker(t testing.TB) *apicheck.Checker {
	t.Helper()
	c, err := contract()
	if err != nil {
		t.Fatalf("the OpenAPI document: %v", err)
	}
	return c
}

// checkAnswer holds an answer to the document; answers to paths the document does not
// have must be the 404 NOT_FOUND every unknown route gets. It may run outside the
// test's goroutine.
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
