package classic

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestPlanSequence: staged records are grouped by transaction, in the order of each
// group's smallest id, whatever the interleaving of their ids; a group with a
// SectionChanged gets the next version and the counters after its deltas, a group
// without one keeps its place and gets none.
func TestPlanSequence(t *testing.T) {
	key := actors.SectionKey{EventID: "ev", SectionID: "A"}
	sec := sectionMeta{key: key, kind: actors.KindReserved}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	staged := func(txid string, firstID int64, j *journal) []stagedRecord {
		msgs, err := j.messages(0)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]stagedRecord, len(msgs))
		for i, m := range msgs {
			out[i] = stagedRecord{id: firstID + int64(2*i), txid: txid, topic: m.Topic, key: m.Key, payload: m.Payload}
		}
		if j.changed {
			out[0].held, out[0].sold = j.held, j.sold
		}
		return out
	}
	hold := newJournal(sec, at)
	hold.change([]string{"A-1", "A-2"}, actors.SeatHeld, 2, 0)
	hold.add(actors.TypeSeatReserved, actors.SeatReserved{HoldID: "h1", Seats: []string{"A-1", "A-2"}, Quantity: 2})
	declined := newJournal(sec, at)
	declined.add(actors.TypePaymentProcessed, actors.PaymentProcessed{HoldID: "h0", Status: "declined"})
	sell := newJournal(sec, at)
	sell.change([]string{"A-9"}, actors.SeatSold, -1, 1)
	sell.add(actors.TypeBookingCreated, actors.BookingCreated{OrderID: "o1", HoldID: "h0"})

	// Ids interleave: the hold's are 10 and 12, the declined payment's 11, the sale's 13
	// and 15.
	rows := append(staged("tx-hold", 10, hold), staged("tx-declined", 11, declined)...)
	rows = append(rows, staged("tx-sell", 13, sell)...)
	sortStaged(rows)
	before := sectionCounters{kind: actors.KindReserved, capacity: 20, held: 1, sold: 0, version: 7}
	p, err := planSequence(before, rows)
	if err != nil {
		t.Fatal(err)
	}
	if p.after.version != 9 || p.after.held != 2 || p.after.sold != 1 {
		t.Fatalf("after: %+v", p.after)
	}
	if len(p.ids) != 5 {
		t.Fatalf("ids %v", p.ids)
	}
	var types []string
	versions := map[string]int64{}
	for _, m := range p.msgs {
		var e actors.Envelope
		if err := json.Unmarshal(m.Payload, &e); err != nil {
			t.Fatal(err)
		}
		if m.Key != key.Identity() || m.Topic != actors.TopicOf(e.Type) || !e.OccurredAt.Equal(at) {
			t.Fatalf("message %+v", m)
		}
		types = append(types, e.Type)
		switch e.Type {
		case actors.TypeSectionChanged:
			var ch actors.SectionChanged
			if err := json.Unmarshal(e.Data, &ch); err != nil {
				t.Fatal(err)
			}
			versions["changed-"+string(ch.Changes[0].Status)] = ch.Version
			if ch.Version == 8 && (ch.Held != 3 || ch.Sold != 0 || ch.Available != 17 || ch.Capacity != 20) {
				t.Fatalf("version 8 counters %+v", ch)
			}
			if ch.Version == 9 && (ch.Held != 2 || ch.Sold != 1 || ch.Available != 17) {
				t.Fatalf("version 9 counters %+v", ch)
			}
		case actors.TypeSeatReserved:
			var d actors.SeatReserved
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			versions[e.Type] = d.SectionVersion
		case actors.TypeBookingCreated:
			var d actors.BookingCreated
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			versions[e.Type] = d.SectionVersion
		}
	}
	want := []string{actors.TypeSectionChanged, actors.TypeSeatReserved, actors.TypePaymentProcessed,
		actors.TypeSectionChanged, actors.TypeBookingCreated}
	if len(types) != len(want) {
		t.Fatalf("types %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("types %v, want %v", types, want)
		}
	}
	if versions["changed-held"] != 8 || versions[actors.TypeSeatReserved] != 8 ||
		versions["changed-sold"] != 9 || versions[actors.TypeBookingCreated] != 9 {
		t.Fatalf("versions %v", versions)
	}
}

// sortStaged orders records by id, as the sequencer reads them.
func sortStaged(rows []stagedRecord) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].id < rows[j-1].id; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}
