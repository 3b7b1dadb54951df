package events

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestEnvelopeHeadAgreesWithUnmarshal checks that envelopeHead finds the id and type
// json.Unmarshal sets in an actors.Envelope, and fails where it fails.
func TestEnvelopeHeadAgreesWithUnmarshal(t *testing.T) {
	real, err := actors.NewOutboxMessage("env-1", actors.TypeSeatReserved, time.Unix(1, 0), actors.SectionKey{EventID: "e", SectionID: "A"},
		actors.SeatReserved{HoldID: "h", Seats: []string{"A-1", `q"uote`}, SectionVersion: 3})
	if err != nil {
		t.Fatal(err)
	}
	cases := []string{
		string(real.Payload),
		`{"id":"x","type":"seat.reserved"}`,
		` { "type" : "t" , "id" : "x" } `,
		"{\n\t\"id\":\"x\",\r\n\"type\":\"t\"}",
		`{"data":{"id":"inner","type":"inner","list":[{"id":"deep"}],"s":"}]\"{"},"id":"outer","type":"t"}`,
		`{"data":[1,2,[3,{"id":"no"}]],"n":-1.5e3,"b":true,"z":null,"id":"x"}`,
		`{"ID":"upper","Type":"T"}`,
		`{"id":"first","id":"second"}`,
		`{"id":"kept","id":null}`,
		`{"id":null,"type":null}`,
		`{"i\u0064":"escaped key","type":"t"}`,
		`{"id":"esc\"aped\\ \u00e9\n","type":"t\/u"}`,
		`{"id":"","type":"t"}`,
		`{}`,
		`null`,
		` null `,
		`{"id":1}`,
		`{"type":true}`,
		`{"id":["x"]}`,
		`[{"id":"x"}]`,
		`"id"`,
		`42`,
		``,
		`{"id":"x"`,
		`{"id":"x",}`,
		`{"id":"x"} trailing`,
		`{id:"x"}`,
		`{"id":"unterminated}`,
	}
	for _, c := range cases {
		var env actors.Envelope
		wantErr := json.Unmarshal([]byte(c), &env)
		id, typ, err := envelopeHead([]byte(c))
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, json.Unmarshal's %v", c, err, wantErr)
			continue
		}
		if err == nil && (id != env.ID || typ != env.Type) {
			t.Errorf("%s: id %q type %q, json.Unmarshal's %q %q", c, id, typ, env.ID, env.Type)
		}
	}
}

// BenchmarkEnvelopeHead compares envelopeHead with the json.Unmarshal the notifications
// consumer did before, on a seat.reserved envelope.
func BenchmarkEnvelopeHead(b *testing.B) {
	m, err := actors.NewOutboxMessage("01JH8Z3Q4X5V6B7N8M9K0J1H2G", actors.TypeSeatReserved, time.Now(), actors.SectionKey{EventID: "evt-1", SectionID: "floor"},
		actors.SeatReserved{HoldID: "01JH8Z3Q4X5V6B7N8M9K0J1H2H", UserID: "fan-123", Seats: []string{"F-12-7"}, Quantity: 1, ExpiresAt: time.Now(), SectionVersion: 1234})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("head", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := envelopeHead(m.Payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env actors.Envelope
			if err := json.Unmarshal(m.Payload, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzEnvelopeHead checks envelopeHead against json.Unmarshal on any input.
func FuzzEnvelopeHead(f *testing.F) {
	for _, seed := range []string{`{"id":"x","type":"t","data":{"id":"y"}}`, `{"ID":null,"id":"a\u0062"}`, `[1,{"a":"}"}]`, `null`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var env actors.Envelope
		wantErr := json.Unmarshal(raw, &env)
		id, typ, err := envelopeHead(raw)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, json.Unmarshal's %v", raw, err, wantErr)
		}
		if err == nil && (id != env.ID || typ != env.Type) {
			t.Fatalf("%q: id %q type %q, json.Unmarshal's %q %q", raw, id, typ, env.ID, env.Type)
		}
	})
}
