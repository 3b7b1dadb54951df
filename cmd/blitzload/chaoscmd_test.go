package main

import "testing"

func TestParseSizes(t *testing.T) {
	got, err := parseSizes(" 1,2 ,3")
	if err != nil || len(got) != 3 || got[2] != 3 {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"0", "10", "x", "1,-2"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got, err := parseSizes(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %v, %v", got, err)
	}
}
