package http

import (
	"regexp"
	"testing"
)

func TestRequestIDsAreUniqueUUIDs(t *testing.T) {
	uuidV4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := newRequestIDs(), newRequestIDs()
	seen := map[string]bool{}
	for range 1000 {
		for _, g := range []*requestIDs{a, b} {
			id := g.newID()
			if !uuidV4.MatchString(id) {
				t.Fatalf("id %q is not a version 4 uuid", id)
			}
			if seen[id] {
				t.Fatalf("id %q made twice", id)
			}
			seen[id] = true
		}
	}
}
