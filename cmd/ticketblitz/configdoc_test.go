package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// configReference is the committed configuration reference.
const configReference = "../../docs/configuration.md"

// TestConfigurationReferenceIsCurrent fails while docs/configuration.md says something
// other than what the code declares.
func TestConfigurationReferenceIsCurrent(t *testing.T) {
	var want bytes.Buffer
	if err := writeConfigReference(&want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(configReference)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want.Bytes()) {
		return
	}
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(want.String(), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		g, w := lineAt(gotLines, i), lineAt(wantLines, i)
		if g != w {
			t.Fatalf("docs/configuration.md differs from what the code declares (run make docs-config):\nline %d is   %q\nthe code says %q", i+1, g, w)
		}
	}
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of file)"
}

// flagInHelp finds the flags a command's -h output lists.
var flagInHelp = regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)`)

// TestEveryCommandIsInTheReference checks that the reference's commands are the ones
// run dispatches and the usage text lists, with the flags each one really parses.
func TestEveryCommandIsInTheReference(t *testing.T) {
	listed := commands()
	for _, c := range listed {
		t.Run(c.Name, func(t *testing.T) {
			if c.Name != "help" && !strings.Contains(usage, "\n  "+c.Name+" ") {
				t.Errorf("the usage text does not list %q", c.Name)
			}
			var out bytes.Buffer
			args := append(strings.Fields(c.Name), "-h")
			err := run(context.Background(), args, func(string) string { return "" }, &out)
			if err != nil && strings.Contains(err.Error(), "unknown command") {
				t.Fatalf("run does not know %q: %v", c.Name, err)
			}
			if c.Declare == nil {
				return
			}
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("%s -h: %v, want the flag list", c.Name, err)
			}
			var parsed []string
			for _, m := range flagInHelp.FindAllStringSubmatch(out.String(), -1) {
				parsed = append(parsed, m[1])
			}
			fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
			c.Declare(fs)
			declared := flagNames(fs)
			slices.Sort(parsed)
			if !slices.Equal(parsed, declared) {
				t.Errorf("%s parses %v, the reference lists %v", c.Name, parsed, declared)
			}
		})
	}
	for _, line := range strings.Split(usage, "\n") {
		name, _, ok := strings.Cut(strings.TrimSpace(line), "  ")
		if !ok || !strings.HasPrefix(line, "  ") || strings.HasPrefix(strings.TrimSpace(line), "-") {
			continue
		}
		if !slices.ContainsFunc(listed, func(c command) bool { return c.Name == name }) {
			t.Errorf("the usage text lists %q, which the reference does not", name)
		}
	}
}
