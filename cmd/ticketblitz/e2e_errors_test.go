package main

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// TestErrorCodes provokes each error code of docs/api.md with the input that causes it,
// against every strategy, and checks that a refused request changes nothing.
func TestErrorCodes(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(strategy, func(t *testing.T) {
			s := startServer(t, "TICKETBLITZ_STRATEGY="+strategy, "TICKETBLITZ_HOLD_TTL=2s", "TICKETBLITZ_RATE_LIMIT=40/min")
			alice, bob := s.as("alice", "fan"), s.as("bob", "fan")
			admin := s.as("root", "admin")
			hold := func(a *api, body any, headers ...string) response {
				return a.do("POST", "/api/v1/events/demo/holds", body, headers...)
			}

			// 400: malformed JSON, 21 seats, an unknown seat, both seats and quantity.
			r := hold(alice, `{"section_id":"A","seats":["A-1"`)
			want(t, r, 400, "VALIDATION_FAILED")
			var many []string
			for i := 1; i <= 21; i++ {
				many = append(many, "B-"+strconv.Itoa(i))
			}
			r = hold(alice, map[string]any{"section_id": "B", "seats": many})
			want(t, r, 400, "VALIDATION_FAILED")
			if r.details()["seats"] == nil {
				t.Fatalf("21 seats: details %v", r.details())
			}
			r = hold(alice, map[string]any{"section_id": "A", "seats": []string{"A-1", "Z-99"}})
			want(t, r, 400, "VALIDATION_FAILED")
			want(t, hold(alice, map[string]any{"section_id": "A", "seats": []string{"A-1"}, "quantity": 2}), 400, "VALIDATION_FAILED")

			// 401 and 403.
			want(t, hold(s.anonymous(), map[string]any{"section_id": "A", "seats": []string{"A-1"}}), 401, "UNAUTHENTICATED")
			ev := map[string]any{"name": "Tiny", "venue": "Club", "starts_at": "2027-01-01T20:00:00Z", "currency": "USD",
				"max_tickets_per_user": 2,
				"sections":             []any{map[string]any{"id": "ga", "name": "GA", "kind": "general_admission", "price_cents": 500, "capacity": 3}}}
			want(t, alice.do("POST", "/api/v1/events", ev), 403, "FORBIDDEN")
			created := admin.do("POST", "/api/v1/events", ev)
			want(t, created, 201, "")
			tiny := created.str("id")

			h := hold(alice, map[string]any{"section_id": "A", "seats": []string{"A-1", "A-2"}})
			want(t, h, 201, "")
			id := h.str("id")
			want(t, bob.do("GET", "/api/v1/holds/"+id, nil), 403, "FORBIDDEN")
			want(t, bob.do("DELETE", "/api/v1/holds/"+id, nil), 403, "FORBIDDEN")
			want(t, bob.do("POST", "/api/v1/holds/"+id+"/confirm", map[string]any{"payment_token": "tok_ok"}), 403, "FORBIDDEN")

			// 404.
			want(t, alice.do("GET", "/api/v1/holds/h_doesnotexist", nil), 404, "NOT_FOUND")
			want(t, alice.do("GET", "/api/v1/events/nope", nil), 404, "NOT_FOUND")
			want(t, hold(alice, map[string]any{"section_id": "nope", "quantity": 1}), 404, "NOT_FOUND")

			// 409 SEAT_UNAVAILABLE names the seats; bob's refused hold changes nothing.
			r = hold(bob, map[string]any{"section_id": "A", "seats": []string{"A-2", "A-3"}})
			want(t, r, 409, "SEAT_UNAVAILABLE")
			if fmt.Sprint(r.details()["seats"]) != "[A-2]" {
				t.Fatalf("details.seats = %v", r.details()["seats"])
			}
			want(t, hold(bob, map[string]any{"section_id": "A", "seats": []string{"A-3"}}), 201, "")

			// 409 SOLD_OUT and 422 LIMIT_EXCEEDED on the tiny GA event (capacity 3, 2 per user).
			want(t, admin.do("POST", "/api/v1/events/"+tiny+"/holds", map[string]any{"section_id": "ga", "quantity": 2}), 201, "")
			want(t, bob.do("POST", "/api/v1/events/"+tiny+"/holds", map[string]any{"section_id": "ga", "quantity": 2}), 409, "SOLD_OUT")
			want(t, bob.do("POST", "/api/v1/events/"+tiny+"/holds", map[string]any{"section_id": "ga", "quantity": 1}), 201, "")
			carol := s.as("carol", "fan")
			want(t, carol.do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": "floor", "quantity": 8}), 201, "")
			want(t, carol.do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": "arena", "quantity": 1}), 422, "LIMIT_EXCEEDED")

			// 409 IDEMPOTENCY_CONFLICT: same key, another body.
			want(t, hold(bob, map[string]any{"section_id": "B", "seats": []string{"B-1"}}, "Idempotency-Key", "k-1"), 201, "")
			want(t, hold(bob, map[string]any{"section_id": "B", "seats": []string{"B-2"}}, "Idempotency-Key", "k-1"), 409, "IDEMPOTENCY_CONFLICT")

			// 402 keeps the hold; then a release, and a second release is HOLD_NOT_ACTIVE.
			want(t, alice.do("POST", "/api/v1/holds/"+id+"/confirm", map[string]any{"payment_token": "tok_decline"}), 402, "PAYMENT_DECLINED")
			want(t, alice.do("GET", "/api/v1/holds/"+id, nil), 200, "")
			want(t, alice.do("DELETE", "/api/v1/holds/"+id, nil), 200, "")
			want(t, alice.do("DELETE", "/api/v1/holds/"+id, nil), 409, "HOLD_NOT_ACTIVE")

			// 410 HOLD_EXPIRED once the 2 s hold TTL has passed.
			h2 := hold(alice, map[string]any{"section_id": "B", "seats": []string{"B-10"}})
			want(t, h2, 201, "")
			time.Sleep(2500 * time.Millisecond)
			want(t, alice.do("POST", "/api/v1/holds/"+h2.str("id")+"/confirm", map[string]any{"payment_token": "tok_ok"}), 410, "HOLD_EXPIRED")

			// 429 with Retry-After once a user passes 40 requests a minute.
			spam := s.as("spammer", "fan")
			var last response
			for i := 0; i < 45; i++ {
				last = spam.do("GET", "/api/v1/me/orders", nil)
				if last.Status == 429 {
					break
				}
			}
			want(t, last, 429, "RATE_LIMITED")
			if ra, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || ra < 1 {
				t.Fatalf("Retry-After = %q", last.Header.Get("Retry-After"))
			}
			// Other users are not affected.
			want(t, alice.do("GET", "/api/v1/me/orders", nil), 200, "")
			// A join charges the limit in its own step: the same allowance as every route.
			want(t, spam.do("POST", "/api/v1/events/demo/queue", nil), 429, "RATE_LIMITED")
			joiner := s.as("joiner", "fan")
			for i := 0; i < 45; i++ {
				last = joiner.do("POST", "/api/v1/events/demo/queue", nil)
				if last.Status == 429 {
					break
				}
				want(t, last, 404, "NOT_FOUND") // demo has no open waiting room
			}
			want(t, last, 429, "RATE_LIMITED")
			if ra, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || ra < 1 {
				t.Fatalf("join's Retry-After = %q", last.Header.Get("Retry-After"))
			}
			want(t, joiner.do("GET", "/api/v1/me/orders", nil), 429, "RATE_LIMITED")
		})
	}
}
