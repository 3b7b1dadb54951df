package main

import (
	"io/fs"
	nethttp "net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/ticketblitz/ticketblitz/docs"
)

// apiReferencePath is where the API reference page is served.
const apiReferencePath = "/docs"

// mountAPIReference serves the API reference page (package docs' Viewer, which renders
// GET /api/v1/openapi.json) at /docs, and its files at /docs/<file>. Like the web page,
// only GET and HEAD of an embedded file are served here; every other request goes on
// to the API's routes and its JSON 404.
func mountAPIReference(app *fiber.App) {
	files := docs.Viewer()
	app.Use(apiReferencePath, filesystem.New(filesystem.Config{
		Root: nethttp.FS(files),
		Next: func(c *fiber.Ctx) bool { return !isAPIReferenceFile(files, c.Path()) },
	}))
}

// isAPIReferenceFile reports whether the URL path names a file of the reference page:
// /docs (or /docs/) is its index.html.
func isAPIReferenceFile(files fs.FS, urlPath string) bool {
	if urlPath == apiReferencePath || urlPath == apiReferencePath+"/" {
		return true
	}
	name, ok := strings.CutPrefix(urlPath, apiReferencePath+"/")
	if !ok || !fs.ValidPath(name) {
		return false
	}
	info, err := fs.Stat(files, name)
	return err == nil && !info.IsDir()
}
