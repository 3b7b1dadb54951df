package persistence

import (
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/waitingroom"
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

// A batch's answer names each join's room by number: a join gets its own room's queue,
// a room whose queue does not decode fails its own joins only, and an answer of the
// wrong shape is an error, not a panic.
func TestDecodeJoinsGivesEachJoinItsRoom(t *testing.T) {
	now := time.UnixMilli(1780315200000).UTC()
	reqs := []joinRequest{
		{eventID: "a", userID: "u1", newID: "q_1", now: now},
		{eventID: "b", userID: "u2", newID: "q_2", now: now},
		{eventID: "a", userID: "u3", newID: "q_3", now: now},
		{eventID: "b", userID: "u4", newID: "q_4", now: now},
	}
	fields := func(joined string) []any { return []any{joined, joined, "0", "0", nil, nil, nil, nil} }
	queues := []any{
		[]any{`{"enabled":true,"order":"fifo"}`, fields("2"), int64(0)},
		[]any{`{"enabled":`, fields("9"), int64(0)},
	}
	joins := []any{
		[]any{int64(1), "q_1", int64(1), int64(1)},
		[]any{int64(1), "q_2", int64(9), int64(2)},
		[]any{int64(0), "q_0", `{"e":"a","u":"u3","p":2,"j":1780315100000}`, int64(1)},
		[]any{int64(1), "q_4", int64(3), int64(3)},
	}
	out, err := decodeJoins(reqs, []string{"a", "b"}, []any{queues, joins})
	if err != nil {
		t.Fatal(err)
	}
	want := waitingroom.TicketRecord{ID: "q_1", EventID: "a", UserID: "u1", Position: 1, JoinedAt: now}
	if a := out[0]; a.err != nil || !a.created || a.rec != want || a.q.Joined != 2 || a.q.Settings.EventID != "a" {
		t.Fatalf("a new ticket: %+v", a)
	}
	if out[1].err == nil {
		t.Fatal("a join of a room whose settings do not decode succeeded")
	}
	want = waitingroom.TicketRecord{ID: "q_0", EventID: "a", UserID: "u3", Position: 2, JoinedAt: time.UnixMilli(1780315100000).UTC()}
	if a := out[2]; a.err != nil || a.created || a.rec != want || a.q.Joined != 2 {
		t.Fatalf("the ticket held: %+v", a)
	}
	if out[3].err == nil {
		t.Fatal("a join naming a room the batch does not have succeeded")
	}
	for _, res := range [][]any{nil, {queues}, {queues[:1], joins}, {queues, joins[:3]}} {
		if _, err := decodeJoins(reqs, []string{"a", "b"}, res); err == nil {
			t.Fatalf("answer %v decoded", res)
		}
	}
}
