package main

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// TestMountWebUI checks that the page is served at "/" and that everything that is not
// one of its files reaches the routes registered after it, status untouched.
func TestMountWebUI(t *testing.T) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	mountWebUI(app)
	app.Get("/api/v1/later", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) })

	cases := []struct {
		method, path string
		status       int
		contentType  string
		body         string
	}{
		{"GET", "/", 200, "text/html", "<canvas id=\"seatmap\""},
		{"HEAD", "/", 200, "text/html", ""},
		{"GET", "/index.html", 200, "text/html", "TicketBlitz"},
		{"GET", "/styles.css", 200, "text/css", "--seat-available"},
		{"GET", "/js/main.js", 200, "javascript", "import"},
		{"GET", "/api/v1/later", 200, "application/json", `"ok":true`},
		{"GET", "/js/", 404, "", ""},
		{"GET", "/nope.js", 404, "", ""},
		{"GET", "/../go.mod", 404, "", ""},
		{"POST", "/index.html", 404, "", ""},
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
