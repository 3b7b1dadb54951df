package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// markdownLink finds the targets of inline Markdown links, [text](target), and of
// reference definitions, [name]: target.
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)|(?m)^\s{0,3}\[[^\]]+\]:\s*(\S+)`)

// TestGuidesLinkInsideTheRepository keeps the guides (every .md file of this folder
// and below) self-contained: every link is relative, stays inside the repository and
// names a file that exists.
func TestGuidesLinkInsideTheRepository(t *testing.T) {
	var guides []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			guides = append(guides, path)
		}
		return err
	})
	if err != nil || len(guides) < 5 {
		t.Fatalf("found the guides %v (%v)", guides, err)
	}
	for _, guide := range guides {
		checkLinks(t, guide, false)
	}
}

// TestReadmeLinksInsideTheRepository checks the README's links: each relative one names
// a file of the repository; links to other sites are allowed there.
func TestReadmeLinksInsideTheRepository(t *testing.T) {
	if n := checkLinks(t, filepath.Join("..", "README.md"), true); n < 8 {
		t.Errorf("README.md has %d links to files of the repository; its documentation table alone has 6", n)
	}
}

// checkLinks checks every link of the Markdown file path and returns how many name a
// file of the repository. Nothing may lead outside the repository (such as ../shared)
// or to a missing file; a link with a scheme fails unless external is true.
func checkLinks(t *testing.T, path string, external bool) int {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	local := 0
	for _, m := range markdownLink.FindAllStringSubmatch(string(text), -1) {
		link := m[1] + m[2]
		target, _, _ := strings.Cut(link, "#")
		switch {
		case strings.Contains(link, "://") || strings.HasPrefix(link, "//") || strings.HasPrefix(link, "mailto:"):
			if !external {
				t.Errorf("%s links outside the repository: %s", path, link)
			}
			continue
		case target == "":
			continue // a heading of the same page
		case strings.HasPrefix(target, "/"):
			t.Errorf("%s links to %s: write links relative to the file", path, link)
			continue
		}
		abs, err := filepath.Abs(filepath.Join(filepath.Dir(path), target))
		if err != nil {
			t.Fatal(err)
		}
		if rel, err := filepath.Rel(root, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			t.Errorf("%s links outside the repository: %s", path, link)
			continue
		}
		if _, err := os.Stat(abs); err != nil {
			t.Errorf("%s links to %s, which does not exist", path, link)
			continue
		}
		local++
	}
	return local
}
