// Package benchfile rewrites one marked section of BENCHMARKS.md, leaving the rest of
// the file as it is. Each blitzload command that measures owns its own pair of markers.
package benchfile

import (
	"fmt"
	"os"
	"strings"
)

// Write replaces the section between begin and end in the file at path with section
// (which carries the markers itself), appending it when the file has no complete
// section. A missing file is created, starting with header.
func Write(path, begin, end, section, header string) error {
	data, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err):
		data = []byte(header)
	case err != nil:
		return fmt.Errorf("benchmarks file: %w", err)
	}
	if err := os.WriteFile(path, []byte(Replace(string(data), begin, end, section)), 0o644); err != nil {
		return fmt.Errorf("benchmarks file: %w", err)
	}
	return nil
}

// Replace returns doc with the section between begin and end replaced by section, or
// with section appended when doc has no complete one.
func Replace(doc, begin, end, section string) string {
	section = strings.TrimRight(section, "\n") + "\n"
	b := strings.Index(doc, begin)
	e := strings.Index(doc, end)
	if b >= 0 && e > b {
		rest := strings.TrimPrefix(doc[e+len(end):], "\n")
		return doc[:b] + section + rest
	}
	if doc != "" && !strings.HasSuffix(doc, "\n\n") {
		doc = strings.TrimRight(doc, "\n") + "\n\n"
	}
	return doc + section
}
