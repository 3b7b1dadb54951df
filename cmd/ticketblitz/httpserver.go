package main

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/docs"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// newHTTPServer builds the node's HTTP server from cfg: package http's API, serving
// the embedded OpenAPI document on GET /api/v1/openapi.json, and the pages this
// command adds to it (mountPages). serve runs it; a test holds its every route to the
// document.
func newHTTPServer(cfg tbhttp.Config) (*tbhttp.Server, error) {
	doc, err := docs.OpenAPIJSON()
	if err != nil {
		return nil, fmt.Errorf("http server: %w", err)
	}
	cfg.OpenAPI = doc
	hs, err := tbhttp.New(cfg)
	if err != nil {
		return nil, err
	}
	hs.Mount(mountPages)
	return hs, nil
}

// mountPages adds the pages served from files embedded in the binary: the web page at
// / and the API reference at /docs.
func mountPages(app *fiber.App) {
	mountWebUI(app)
	mountAPIReference(app)
}
