package main

import (
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	tbhttp "github.com/ticketblitz/ticketblitz/http"
	"github.com/ticketblitz/ticketblitz/http/flashsale"
)

// TestEveryRouteIsDocumented builds the node's HTTP server as serve does
// (newHTTPServer, with every optional part present) and compares the routes it
// registers with the operations of docs/openapi.yaml, both ways. The pages mounted as
// middleware (the web page at /, the reference at /docs) register no route of their
// own: each documented operation that no route serves must then be answered by them.
func TestEveryRouteIsDocumented(t *testing.T) {
	c := checker(t)
	flash, err := flashsale.New(flashsale.Config{Reservations: noReservations{}, Catalog: noCatalog{}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := newHTTPServer(tbhttp.Config{
		Reservations: noReservations{}, Catalog: noCatalog{}, Cluster: noCluster{},
		Live: tbhttp.LiveHandlers{
			Events:     func(*fiber.Ctx) error { return nil },
			Visualizer: func(*fiber.Ctx) error { return nil },
		},
		FlashSales: flash, JWTSecret: []byte("test"), DevTokens: true, Logger: zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	app := hs.App()

	registered := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		registered[r.Method+" "+r.Path] = true
	}
	documented := map[string]bool{}
	for _, r := range c.Routes() {
		documented[r.Method+" "+r.FiberPath()] = true
	}
	if len(documented) < 20 {
		t.Fatalf("the document has only %d operations", len(documented))
	}
	for _, route := range sortedKeys(registered) {
		method, path, _ := strings.Cut(route, " ")
		if method == fiber.MethodHead && registered[fiber.MethodGet+" "+path] {
			continue // Fiber answers HEAD on every GET route
		}
		if !documented[route] {
			t.Errorf("%s is registered but not in docs/openapi.yaml", route)
		}
	}
	for _, r := range c.Routes() {
		if registered[r.Method+" "+r.FiberPath()] {
			continue
		}
		// A page mounted by this command: it must answer, as the document says.
		req := httptest.NewRequest(r.Method, r.Path, nil)
		if strings.Contains(r.Path, "{") {
			t.Errorf("%s is in docs/openapi.yaml but no route serves it", r)
			continue
		}
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == fiber.StatusNotFound {
			t.Errorf("%s is in docs/openapi.yaml but the server answers 404", r)
			continue
		}
		if err := c.Response(req, res.StatusCode, res.Header, body); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	for _, page := range []string{"GET /", "GET /docs"} {
		if !documented[page] {
			t.Errorf("the page %s is not in docs/openapi.yaml", page)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// The ports below are never called: the test lists routes and asks only for pages.

type noReservations struct{ tbhttp.Reservations }

type noCatalog struct{ tbhttp.Catalog }

type noCluster struct{ tbhttp.ClusterInfo }
