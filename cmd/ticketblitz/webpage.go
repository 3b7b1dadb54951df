package main

import (
	"io/fs"
	nethttp "net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/ticketblitz/ticketblitz/webui"
)

// mountWebUI serves the web page (package webui) at "/". Only GET and HEAD of a path
// that names an embedded file are served here ("/" is index.html); every other request
// goes on to the routes registered after it and to the API's JSON 404, untouched.
func mountWebUI(app *fiber.App) {
	files := webui.FS()
	app.Use("/", filesystem.New(filesystem.Config{
		Root: nethttp.FS(files),
		Next: func(c *fiber.Ctx) bool { return !isWebUIFile(files, c.Path()) },
	}))
}

// isWebUIFile reports whether the URL path names a file (not a folder) of the page.
func isWebUIFile(files fs.FS, urlPath string) bool {
	name := strings.TrimPrefix(urlPath, "/")
	if name == "" {
		name = "index.html"
	}
	if !fs.ValidPath(name) {
		return false
	}
	info, err := fs.Stat(files, name)
	return err == nil && !info.IsDir()
}
