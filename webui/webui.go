package webui

import (
	"embed"
	"io/fs"
)

// files are the page's static files, laid out as they are served.
//
//go:embed index.html styles.css js
var files embed.FS

// FS returns the page's files: index.html at the root, styles.css, and the JavaScript
// modules under js/. The result is read-only and safe for concurrent use.
func FS() fs.FS { return files }
