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

func TestParseRates(t *testing.T) {
	got, err := parseRates("500, 4.5,")
	if err != nil || !slices.Equal(got, []float64{500, 4.5}) {
		t.Errorf("parseRates = %v, %v", got, err)
	}
	for _, bad := range []string{"", ",", "fast", "0", "-3"} {
		if _, err := parseRates(bad); err == nil {
			t.Errorf("parseRates(%q) accepted", bad)
		}
	}
}

func TestAutoRatesKeepTheFanoutAsked(t *testing.T) {
	got := autoRates([]int{10, 1000, 10000}, 40000)
	if !slices.Equal(got, []float64{500, 40, 4}) {
		t.Errorf("autoRates = %v, want [500 40 4]", got)
	}
}
