package main

import (
	"fmt"
	"testing"
	"time"
)

// TestFanFlow walks a fan through hold → confirm → order → cancel with each strategy.
func TestFanFlow(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(strategy, func(t *testing.T) {
			s := startServer(t, "TICKETBLITZ_STRATEGY="+strategy)
			fan := s.as("alice", "fan")
			ev := fan.do("GET", "/api/v1/events/demo", nil)
			want(t, ev, 200, "")
			if ev.str("id") != "demo" {
				t.Fatalf("demo event: %s", ev.Raw)
			}
			m := fan.do("GET", "/api/v1/events/demo/sections/A/seats", nil)
			want(t, m, 200, "")
			v0 := m.Body["version"].(float64)

			h := fan.do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": "A", "seats": []string{"A-3", "A-4"}})
			want(t, h, 201, "")
			holdID := h.str("id")
			if h.str("status") != "held" || h.str("user_id") != "alice" || len(h.Body["seats"].([]any)) != 2 {
				t.Fatalf("hold: %s", h.Raw)
			}
			want(t, fan.do("GET", "/api/v1/holds/"+holdID, nil), 200, "")
			seatStatus := func(id string) string {
				m := fan.do("GET", "/api/v1/events/demo/sections/A/seats", nil)
				for _, s := range m.Body["seats"].([]any) {
					seat := s.(map[string]any)
					if seat["id"] == id {
						return seat["status"].(string)
					}
				}
				return ""
			}
			if got := seatStatus("A-3"); got != "held" {
				t.Fatalf("A-3 is %s after the hold", got)
			}
			ext := fan.do("POST", "/api/v1/holds/"+holdID+"/extend", nil)
			want(t, ext, 200, "")
			if !parseTime(t, ext.str("expires_at")).After(parseTime(t, h.str("expires_at")).Add(-time.Second)) {
				t.Fatalf("extend moved expiry back: %s", ext.Raw)
			}
			want(t, fan.do("POST", "/api/v1/holds/"+holdID+"/confirm", map[string]any{"payment_token": "tok_decline"}), 402, "PAYMENT_DECLINED")
			if got := seatStatus("A-3"); got != "held" {
				t.Fatalf("a declined payment left A-3 %s", got)
			}
			o := fan.do("POST", "/api/v1/holds/"+holdID+"/confirm", map[string]any{"payment_token": "tok_ok"}, "Idempotency-Key", "buy-1")
			want(t, o, 201, "")
			orderID := o.str("id")
			if o.str("status") != "confirmed" || o.Body["total_cents"].(float64) != 24000 || o.str("currency") != "USD" {
				t.Fatalf("order: %s", o.Raw)
			}
			again := fan.do("POST", "/api/v1/holds/"+holdID+"/confirm", map[string]any{"payment_token": "tok_ok"}, "Idempotency-Key", "buy-1")
			want(t, again, 201, "")
			if again.str("id") != orderID {
				t.Fatalf("idempotent confirm made another order: %s", again.Raw)
			}
			if got := seatStatus("A-4"); got != "sold" {
				t.Fatalf("A-4 is %s after the sale", got)
			}
			want(t, fan.do("GET", "/api/v1/orders/"+orderID, nil), 200, "")
			mine := fan.do("GET", "/api/v1/me/orders", nil)
			want(t, mine, 200, "")
			if n := len(mine.Body["orders"].([]any)); n != 1 {
				t.Fatalf("me/orders has %d orders", n)
			}
			c := fan.do("POST", "/api/v1/orders/"+orderID+"/cancel", nil)
			want(t, c, 200, "")
			if c.str("status") != "cancelled" {
				t.Fatalf("cancel: %s", c.Raw)
			}
			if got := seatStatus("A-3"); got != "available" {
				t.Fatalf("A-3 is %s after the cancel", got)
			}
			m = fan.do("GET", "/api/v1/events/demo/sections/A/seats", nil)
			if v := m.Body["version"].(float64); v <= v0 {
				t.Fatalf("section version did not rise: %v -> %v", v0, v)
			}
			// General admission.
			ga := fan.do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": "floor", "quantity": 3})
			want(t, ga, 201, "")
			gm := fan.do("GET", "/api/v1/events/demo/sections/floor/seats", nil)
			if gm.Body["held"].(float64) != 3 || gm.Body["available"].(float64) != 497 {
				t.Fatalf("GA map after hold: %s", gm.Raw)
			}
			r := fan.do("DELETE", "/api/v1/holds/"+ga.str("id"), nil)
			want(t, r, 200, "")
			if r.str("status") != "released" {
				t.Fatalf("release: %s", r.Raw)
			}
			// Best available.
			ba := fan.do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": "arena", "quantity": 4})
			want(t, ba, 201, "")
			if fmt.Sprint(ba.Body["seats"]) != "[A-24 A-25 A-26 A-27]" {
				t.Fatalf("best available in an empty arena: %v", ba.Body["seats"])
			}
		})
	}
}

func parseTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return v
}
