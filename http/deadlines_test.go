package http

import (
	"testing"
	"time"
)

// TestRequestDeadlinesShareWithinTheSlack: requests that start within the slack share one
// context, whose deadline is never later than a request's start plus the timeout nor
// more than the slack earlier; a request after that gets a new one.
func TestRequestDeadlinesShareWithinTheSlack(t *testing.T) {
	d := newRequestDeadlines(time.Second)
	t0 := time.Now()
	check := func(start time.Time) time.Time {
		t.Helper()
		dl, ok := d.context(start).Deadline()
		want := start.Add(time.Second)
		if !ok || dl.After(want) || want.Sub(dl) >= deadlineSlack {
			t.Fatalf("deadline %v for a request starting %v, want in (%v, %v]", dl, start, want.Add(-deadlineSlack), want)
		}
		return dl
	}
	first := check(t0)
	if again := check(t0.Add(deadlineSlack / 2)); !again.Equal(first) {
		t.Fatalf("a request %v later got its own context", deadlineSlack/2)
	}
	if later := check(t0.Add(2 * deadlineSlack)); later.Equal(first) {
		t.Fatal("a request two slacks later shared the first context")
	}
	if ctx := d.context(time.Now().Add(-2 * time.Second)); ctx.Err() == nil {
		t.Fatal("a context whose deadline passed is not done")
	}
}
