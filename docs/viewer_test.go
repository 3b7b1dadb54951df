package docs

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestViewerIsComplete checks that every file the reference page loads is embedded
// and that the page asks the server, not the network, for the document.
func TestViewerIsComplete(t *testing.T) {
	files := Viewer()
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(index), -1)
	loaded := 0
	for _, m := range refs {
		ref := m[1]
		switch {
		case ref == "/" || ref == "/api/v1/openapi.json":
			continue // links to the server's web page and document
		case strings.HasPrefix(ref, "/docs/"):
			loaded++
			if _, err := fs.Stat(files, strings.TrimPrefix(ref, "/docs/")); err != nil {
				t.Errorf("index.html loads %s, which is not embedded", ref)
			}
		default:
			t.Errorf("index.html refers to %s: the page must load only its own files, under /docs/", ref)
		}
	}
	if loaded < 3 {
		t.Errorf("index.html loads %d files, want the stylesheet, the bundle and reference.js", loaded)
	}
	script, err := fs.ReadFile(files, "reference.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "'/api/v1/openapi.json'") {
		t.Error("reference.js does not load /api/v1/openapi.json")
	}
	for _, name := range []string{"LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui.css"} {
		if _, err := fs.Stat(files, name); err != nil {
			t.Errorf("%s is missing: %v", name, err)
		}
	}
}

// TestViewerReadmeNamesTheBundledRelease keeps viewer/README.md true about which
// swagger-ui-dist release is committed.
func TestViewerReadmeNamesTheBundledRelease(t *testing.T) {
	bundle, err := fs.ReadFile(Viewer(), "swagger-ui-bundle.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`PACKAGE_VERSION:"([0-9][0-9.]*)"`).FindSubmatch(bundle)
	if m == nil {
		t.Fatal("swagger-ui-bundle.js does not say its version")
	}
	readme, err := fs.ReadFile(Viewer(), "README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := "swagger-ui-dist " + string(m[1]); !strings.Contains(string(readme), want) {
		t.Errorf("viewer/README.md does not say %q, the release of the committed bundle", want)
	}
	if major, _, _ := strings.Cut(string(m[1]), "."); len(major) == 1 && major < "5" {
		t.Errorf("swagger-ui-dist %s: releases before 5 do not render OpenAPI 3.1", m[1])
	}
}
