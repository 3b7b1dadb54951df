package live

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// The queue message appended by hand is, byte for byte, what encoding/json makes of
// the message's struct, whatever the ticket holds.
func TestEncodeQueueMessageMatchesEncodingJSON(t *testing.T) {
	joined := time.Date(2026, 12, 6, 21, 4, 5, 123456789, time.FixedZone("CET", 3600))
	rec := waitingroom.TicketRecord{ID: "q_01JABCDEF", EventID: "ev_1", UserID: "fan-7", Position: 42, JoinedAt: joined}
	tickets := map[string]waitingroom.Ticket{
		"waiting":  {TicketRecord: rec, Ahead: 41, ETASeconds: 9, Status: waitingroom.TicketWaiting, FollowAfter: 4567 * time.Millisecond},
		"unplaced": {TicketRecord: waitingroom.TicketRecord{ID: "q_2", EventID: "ev_1", UserID: "u", JoinedAt: joined}, Ahead: 10000, ETASeconds: 120, Status: waitingroom.TicketWaiting},
		"admitted": {TicketRecord: rec, Status: waitingroom.TicketAdmitted, Pass: "v1.ZXZfMQ.ZmFuLTc.1765055045000.abc-_def",
			PassExpiresAt: joined.Add(2 * time.Minute)},
		"sold out":   {TicketRecord: rec, Status: waitingroom.TicketSoldOut},
		"expired":    {TicketRecord: rec, Status: waitingroom.TicketExpired},
		"zero times": {TicketRecord: waitingroom.TicketRecord{ID: "q_3", EventID: "ev_1"}, Status: waitingroom.TicketWaiting},
		"escaped": {TicketRecord: waitingroom.TicketRecord{ID: "q_4", EventID: "ev_<1>&", UserID: "fän \"quoted\" \\ \u2028\x01\xff",
			Position: 1, JoinedAt: joined}, Status: waitingroom.TicketWaiting},
		"long": {TicketRecord: waitingroom.TicketRecord{ID: "q_5", EventID: "ev_1", UserID: strings.Repeat("u", 70000), Position: 9,
			JoinedAt: joined}, Ahead: 8, Status: waitingroom.TicketWaiting},
	}
	for name, tk := range tickets {
		got, err := encodeQueueMessage(tk)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		raw, err := json.Marshal(toQueueMessage(tk))
		if err != nil {
			t.Fatal(err)
		}
		if want := newTextFrame(raw).data; !bytes.Equal(got.data, want) {
			t.Errorf("%s:\n got %q\nwant %q", name, got.data[:min(len(got.data), 400)], want[:min(len(want), 400)])
		}
	}
	if _, err := encodeQueueMessage(waitingroom.Ticket{TicketRecord: waitingroom.TicketRecord{JoinedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}); err == nil {
		t.Error("a joined_at past year 9999 encoded; encoding/json refuses it")
	}
}
