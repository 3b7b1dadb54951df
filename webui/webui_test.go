package webui

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The page has no build step, so a typo in a module path, an imported name or an
// element id only shows in a browser. These tests catch them without one.

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(FS(), name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(b)
}

func modules(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(FS(), "js/*.js")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no modules under js/")
	}
	return names
}

func TestIndexReferencesExist(t *testing.T) {
	html := readFile(t, "index.html")
	refs := regexp.MustCompile(`(?:src|href)="([^"#:]+)"`).FindAllStringSubmatch(html, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d local files, want the stylesheet and the main module", len(refs))
	}
	for _, m := range refs {
		if _, err := fs.Stat(FS(), m[1]); err != nil {
			t.Errorf("index.html references %s: %v", m[1], err)
		}
	}
}

var (
	importRe = regexp.MustCompile(`(?s)import\s*\{([^}]*)\}\s*from\s*'([^']+)'`)
	exportRe = regexp.MustCompile(`(?m)^export\s+(?:async\s+)?(?:class|function|const|let)\s+([A-Za-z_$][\w$]*)`)
	listRe   = regexp.MustCompile(`(?m)^export\s*\{([^}]*)\}`)
)

func exportsOf(src string) []string {
	var names []string
	for _, m := range exportRe.FindAllStringSubmatch(src, -1) {
		names = append(names, m[1])
	}
	for _, m := range listRe.FindAllStringSubmatch(src, -1) {
		for _, n := range strings.Split(m[1], ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	return names
}

func TestModuleImportsResolve(t *testing.T) {
	for _, name := range modules(t) {
		src := readFile(t, name)
		for _, m := range importRe.FindAllStringSubmatch(src, -1) {
			target := path.Join(path.Dir(name), m[2])
			dep, err := fs.ReadFile(FS(), target)
			if err != nil {
				t.Errorf("%s imports %s: %v", name, m[2], err)
				continue
			}
			exported := exportsOf(string(dep))
			for _, imp := range strings.Split(m[1], ",") {
				imp = strings.TrimSpace(strings.Split(strings.TrimSpace(imp), " as ")[0])
				if imp != "" && !slices.Contains(exported, imp) {
					t.Errorf("%s imports %s from %s, which does not export it (exports %v)", name, imp, m[2], exported)
				}
			}
		}
	}
}

func TestElementIDsExist(t *testing.T) {
	html := readFile(t, "index.html")
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		if ids[m[1]] {
			t.Errorf("index.html has id %q twice", m[1])
		}
		ids[m[1]] = true
	}
	lookups := regexp.MustCompile(`(?:\$|getElementById)\('([^']+)'\)`)
	n := 0
	for _, name := range modules(t) {
		for _, m := range lookups.FindAllStringSubmatch(readFile(t, name), -1) {
			n++
			if !ids[m[1]] {
				t.Errorf("%s looks up #%s, which index.html does not have", name, m[1])
			}
		}
	}
	if n < 20 {
		t.Fatalf("found only %d element lookups; the pattern no longer matches the code", n)
	}
}

func TestEveryErrorCodeHasASentence(t *testing.T) {
	src := readFile(t, "js/errors.js")
	for _, code := range []string{
		"VALIDATION_FAILED", "UNAUTHENTICATED", "PAYMENT_DECLINED", "FORBIDDEN", "NOT_FOUND",
		"SEAT_UNAVAILABLE", "SOLD_OUT", "HOLD_NOT_ACTIVE", "IDEMPOTENCY_CONFLICT", "HOLD_EXPIRED",
		"LIMIT_EXCEEDED", "QUEUE_REQUIRED", "RATE_LIMITED", "UNAVAILABLE",
	} {
		if !regexp.MustCompile(`(?m)^\s+` + code + `:`).MatchString(src) {
			t.Errorf("js/errors.js has no sentence for %s", code)
		}
	}
}
