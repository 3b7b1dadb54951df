package live

import (
	"fmt"
	"strings"
	"sync"

	"github.com/ticketblitz/ticketblitz/internal/apicheck"
)

// contract is the OpenAPI document's checker, loaded once for every test of the
// package: each websocket message the tests read is held to its schema.
var contract = sync.OnceValues(apicheck.New)

// checkMessage holds a message read from the websocket at path to the document's
// schema of that websocket's messages.
func checkMessage(path string, raw []byte) error {
	c, err := contract()
	if err != nil {
		return fmt.Errorf("the OpenAPI document: %w", err)
	}
	schema := "WsEventMessage"
	if strings.HasPrefix(path, "/ws/visualizer") {
		schema = "VisualizerMessage"
	}
	if err := c.Message(schema, raw); err != nil {
		return fmt.Errorf("a message of %s breaks docs/openapi.yaml: %w", path, err)
	}
	return nil
}

// CheckMessage is checkMessage for the package's external tests.
func CheckMessage(path string, raw []byte) error { return checkMessage(path, raw) }
