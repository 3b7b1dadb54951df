package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// markdownLink finds the targets of inline Markdown links: [text](target).
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestGuidesLinkInsideTheRepository keeps the guides self-contained: every link is
// relative, stays inside the repository and names a file that exists.
func TestGuidesLinkInsideTheRepository(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	guides, err := filepath.Glob("*.md")
	if err != nil || len(guides) == 0 {
		t.Fatalf("no guides found (%v)", err)
	}
	for _, guide := range guides {
		text, err := os.ReadFile(guide)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range markdownLink.FindAllStringSubmatch(string(text), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			switch {
			case strings.Contains(m[1], "://") || strings.HasPrefix(m[1], "//") || strings.HasPrefix(m[1], "mailto:"):
				t.Errorf("%s links outside the repository: %s", guide, m[1])
				continue
			case target == "":
				continue // a heading of the same page
			}
			abs, err := filepath.Abs(target)
			if err != nil {
				t.Fatal(err)
			}
			if rel, err := filepath.Rel(root, abs); err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s links outside the repository: %s", guide, m[1])
				continue
			}
			if _, err := os.Stat(abs); err != nil {
				t.Errorf("%s links to %s, which does not exist", guide, m[1])
			}
		}
	}
}
