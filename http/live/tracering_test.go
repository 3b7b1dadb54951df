package live

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func ringPayloads(frames []*frame) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = string(f.data[2:]) // short frames: two header bytes
	}
	return out
}

func TestTraceRingKeepsTheNewestInOrder(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r := newTraceRing(3, time.Minute)
	for i := range 5 {
		r.add(start.Add(time.Duration(i)*time.Second), newTextFrame(fmt.Appendf(nil, "t%d", i)))
	}
	got := ringPayloads(r.recent(start.Add(5 * time.Second)))
	if want := []string{"t2", "t3", "t4"}; !slices.Equal(got, want) {
		t.Fatalf("recent = %v, want %v", got, want)
	}
}

func TestTraceRingForgetsWhatIsOlderThanItsWindow(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r := newTraceRing(10, time.Minute)
	r.add(start, newTextFrame([]byte("old")))
	r.add(start.Add(30*time.Second), newTextFrame([]byte("mid")))
	r.add(start.Add(70*time.Second), newTextFrame([]byte("new")))
	got := ringPayloads(r.recent(start.Add(85 * time.Second)))
	if want := []string{"mid", "new"}; !slices.Equal(got, want) {
		t.Fatalf("recent at +85s = %v, want %v", got, want)
	}
	if got := ringPayloads(r.recent(start.Add(200 * time.Second))); len(got) != 0 {
		t.Fatalf("recent at +200s = %v, want nothing", got)
	}
	r.add(start.Add(201*time.Second), newTextFrame([]byte("after")))
	if got, want := ringPayloads(r.recent(start.Add(202*time.Second))), []string{"after"}; !slices.Equal(got, want) {
		t.Fatalf("recent after emptying = %v, want %v", got, want)
	}
}

func TestTraceRingOfNoCapacityKeepsNothing(t *testing.T) {
	r := newTraceRing(0, time.Minute)
	r.add(time.Now(), newTextFrame([]byte("x")))
	if got := r.recent(time.Now()); len(got) != 0 {
		t.Fatalf("recent = %d items, want none", len(got))
	}
}
