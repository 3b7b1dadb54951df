// Package ticketblitz_test holds the test of the module's layout: which package may
// import which (the dependency rule the README's layout table states). A package the
// table does not know fails the test, so every new folder gets its rule.
package ticketblitz_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/ticketblitz/ticketblitz/"

// mayImport lists, for each package (or each package below a folder, for a pattern
// ending in "/..."), the module's packages its non-test code may import. Patterns end
// in "/..." for a folder and everything below it. cmd/ticketblitz is the one
// composition root and may import anything.
var mayImport = map[string][]string{
	"actors":              {},
	"migrations":          {},
	"webui":               {},
	"docs":                {},
	"client":              {},
	"waitingroom":         {"actors"},
	"persistence":         {"actors", "migrations", "waitingroom"},
	"persistence/classic": {"actors", "persistence"},
	"events":              {"actors"},
	"cluster":             {"actors"},
	"http":                {"actors", "http/flashsale", "waitingroom"},
	"http/live":           {"actors", "waitingroom"},
	"http/flashsale":      {"actors"},
	"internal/testenv":    {},
	"internal/apicheck":   {"docs"},
	"deploy":              {},
	"cmd/ticketblitz":     {"..."},
	// The load, chaos and audit client speaks only the public API: its own packages,
	// and the public Go client.
	"cmd/blitzload/...": {"cmd/blitzload/...", "client"},
}

func TestDependencyRule(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bufio.NewReader(bytes.NewReader(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		rel, ok := strings.CutPrefix(p.ImportPath, module)
		if !ok {
			continue // the module's root: this test alone
		}
		seen++
		allowed, ok := ruleFor(rel)
		if !ok {
			t.Errorf("%s has no rule in mayImport: add one (and a line to the README's layout table)", rel)
			continue
		}
		for _, imp := range p.Imports {
			dep, internal := strings.CutPrefix(imp, module)
			if internal && !permitted(allowed, dep) {
				t.Errorf("%s imports %s; it may import only %v", rel, dep, allowed)
			}
		}
	}
	if seen < 10 {
		t.Fatalf("go list found only %d packages", seen)
	}
}

// ruleFor returns the rule of package rel: its own entry, or the nearest folder pattern.
func ruleFor(rel string) ([]string, bool) {
	if r, ok := mayImport[rel]; ok {
		return r, true
	}
	for dir := rel; dir != "." && dir != ""; dir = path.Dir(dir) {
		if r, ok := mayImport[dir+"/..."]; ok {
			return r, true
		}
	}
	return nil, false
}

// permitted reports whether dep matches one of the allowed packages or patterns.
func permitted(allowed []string, dep string) bool {
	return slices.ContainsFunc(allowed, func(a string) bool {
		if a == "..." {
			return true
		}
		if folder, ok := strings.CutSuffix(a, "/..."); ok {
			return dep == folder || strings.HasPrefix(dep, folder+"/")
		}
		return dep == a
	})
}
