package persistence

import (
	"testing"
)

// A batch's decoder decodes each distinct settings and status once, and a room's
// answer never carries a field of another room decoded before it.
func TestQueueDecoderKeepsNothingOfThePreviousRoom(t *testing.T) {
	fixed := `{"enabled":true,"order":"random","opens_at":1767225600000,"admit_per_s":5}`
	plain := `{"enabled":true,"order":"fifo"}`
	soldOut := `{"rate":120,"change":"raise","at":1,"sold_out":true}`
	moving := `{"rate":80,"change":"cut","at":2}`
	fields := func(status string) []any { return []any{"3", "3", "1", "0", "0", "0", "0", status} }
	var d queueDecoder
	for i, c := range []struct {
		settings, status string
		admit            int
		opens, sold      bool
	}{
		{fixed, soldOut, 5, true, true},
		{fixed, soldOut, 5, true, true},
		{plain, moving, 0, false, false},
		{fixed, moving, 5, true, false},
		{plain, soldOut, 0, false, true},
	} {
		q, err := d.decode("ev1", c.settings, fields(c.status), 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeQueue("ev1", c.settings, fields(c.status), 0)
		if err != nil {
			t.Fatal(err)
		}
		if q.Settings != want.Settings || q.Status != want.Status || q.Watermark != 1 {
			t.Fatalf("answer %d: %+v, decoded alone %+v", i, q, want)
		}
		if q.Settings.AdmitPerS != c.admit || q.Settings.OpensAt.IsZero() == c.opens || q.Status.SoldOut != c.sold {
			t.Fatalf("answer %d: settings %+v, status %+v", i, q.Settings, q.Status)
		}
	}
	if _, err := d.decode("ev1", "{", fields(moving), 0); err == nil {
		t.Fatal("broken settings decoded")
	}
	if q, err := d.decode("ev1", plain, fields(moving), 0); err != nil || q.Settings.Order != "fifo" {
		t.Fatalf("after a broken one: %+v %v", q.Settings, err)
	}
}
