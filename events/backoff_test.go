package events

import (
	"testing"
	"time"
)

func TestBackoffDelayDoublesUpToTheCeiling(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{4, 1600 * time.Millisecond},
		{5, 2 * time.Second},
		{1000, 2 * time.Second},
	} {
		if got := backoffDelay(100*time.Millisecond, 2*time.Second, tc.attempt); got != tc.want {
			t.Errorf("attempt %d: %v, want %v", tc.attempt, got, tc.want)
		}
	}
}
