package docs

import (
	"embed"
	"io/fs"
)

// viewerFiles is the reference page: our index.html and reference.js, and the files of
// swagger-ui-dist that render the document (viewer/README.md says which release).
//
//go:embed viewer
var viewerFiles embed.FS

// Viewer returns the API reference page's files, index.html at the root: a page that
// fetches the document from GET /api/v1/openapi.json and renders it with Swagger UI,
// loading nothing from outside the server. Its pages and scripts name their files
// under /docs/, where the server is expected to serve them.
func Viewer() fs.FS {
	sub, err := fs.Sub(viewerFiles, "viewer")
	if err != nil {
		// fs.Sub fails only for an invalid path; "viewer" is a constant valid one.
		panic(err)
	}
	return sub
}
