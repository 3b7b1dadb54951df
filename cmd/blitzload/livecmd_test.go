package main

import (
	"slices"
	"testing"
)

func TestParseCounts(t *testing.T) {
	got, err := parseCounts("1000, 10000,")
	if err != nil || !slices.Equal(got, []int{1000, 10000}) {
		t.Errorf("parseCounts = %v, %v", got, err)
	}
	for _, bad := range []string{"", ",", "10k", "-1"} {
		if _, err := parseCounts(bad); err == nil {
			t.Errorf("parseCounts(%q) accepted", bad)
		}
	}
}
