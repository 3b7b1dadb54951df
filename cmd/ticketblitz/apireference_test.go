package main

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestMountAPIReference checks that the reference page and its files are served under
// /docs and that everything else reaches the routes registered after it.
func TestMountAPIReference(t *testing.T) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	mountPages(app)
	app.Get("/api/v1/later", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) })

	cases := []struct {
		method, path string
		status       int
		contentType  string
		body         string
	}{
		{"GET", "/docs", 200, "text/html", `<div id="swagger-ui">`},
		{"GET", "/docs/", 200, "text/html", `<div id="swagger-ui">`},
		{"HEAD", "/docs", 200, "text/html", ""},
		{"GET", "/docs/index.html", 200, "text/html", "/docs/reference.js"},
		{"GET", "/docs/reference.js", 200, "javascript", "/api/v1/openapi.json"},
		{"GET", "/docs/swagger-ui-bundle.js", 200, "javascript", "SwaggerUIBundle"},
		{"GET", "/docs/swagger-ui.css", 200, "text/css", ".swagger-ui"},
		{"GET", "/docs/LICENSE", 200, "", "Apache License"},
		{"GET", "/", 200, "text/html", `<canvas id="seatmap"`},
		{"GET", "/api/v1/later", 200, "application/json", `"ok":true`},
		{"GET", "/docs/nope.js", 404, "", ""},
		{"GET", "/docsREADME.md", 404, "", ""},
		{"GET", "/docs/../go.mod", 404, "", ""},
		{"POST", "/docs", 404, "", ""},
	}
	for _, c := range cases {
		res, err := app.Test(httptest.NewRequest(c.method, c.path, nil), -1)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, res.StatusCode, c.status)
			continue
		}
		if ct := res.Header.Get("Content-Type"); c.contentType != "" && !strings.Contains(ct, c.contentType) {
			t.Errorf("%s %s: content type %q, want %q", c.method, c.path, ct, c.contentType)
		}
		if !strings.Contains(string(body), c.body) {
			t.Errorf("%s %s: body does not contain %q", c.method, c.path, c.body)
		}
	}
}
