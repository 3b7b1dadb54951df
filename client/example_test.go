package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/ticketblitz/ticketblitz/client"
)

// fakeServer answers like a TicketBlitz node with the demo event, just enough for the
// example: seat A-4 of section A is taken.
func fakeServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/token", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"token":"tok-alice","expires_at":"2026-06-02T12:00:00Z"}`)
	})
	mux.HandleFunc("POST /api/v1/events/demo/holds", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) == `{"section_id":"A","seats":["A-3","A-4"]}` {
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"error":{"code":"SEAT_UNAVAILABLE","message":"a requested seat is held or sold","details":{"seats":["A-4"]}}}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"h_1","event_id":"demo","section_id":"A","seats":["A-7","A-8"],"quantity":2,"status":"held",`+
			`"expires_at":"2026-06-01T12:10:00Z","created_at":"2026-06-01T12:00:00Z","user_id":"alice"}`)
	})
	mux.HandleFunc("POST /api/v1/holds/h_1/confirm", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"o_1","hold_id":"h_1","event_id":"demo","section_id":"A","seats":["A-7","A-8"],"quantity":2,`+
			`"status":"confirmed","total_cents":24000,"currency":"USD","created_at":"2026-06-01T12:01:00Z","user_id":"alice"}`)
	})
	mux.HandleFunc("POST /api/v1/events/drop/queue", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"q_1","event_id":"drop","user_id":"alice","position":8215,"ahead":12,"eta_seconds":1,`+
			`"status":"waiting","pass":null,"pass_expires_at":null,"joined_at":"2026-06-01T12:00:00Z"}`)
	})
	mux.HandleFunc("GET /api/v1/queue/q_1", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"q_1","event_id":"drop","user_id":"alice","position":8215,"ahead":0,"eta_seconds":0,`+
			`"status":"admitted","pass":"p_1","pass_expires_at":"2026-06-01T12:10:01Z","joined_at":"2026-06-01T12:00:00Z"}`)
	})
	mux.HandleFunc("POST /api/v1/events/drop/holds", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Queue-Pass") != "p_1" {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"code":"QUEUE_REQUIRED","message":"the waiting room is open: join the queue"}}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"h_2","event_id":"drop","section_id":"A","seats":["B-4","B-5"],"quantity":2,"status":"held",`+
			`"expires_at":"2026-06-01T12:11:00Z","created_at":"2026-06-01T12:01:00Z","user_id":"alice"}`)
	})
	return httptest.NewServer(mux)
}

// A fan asks for two seats, finds one taken, takes the best two available instead and
// buys them. Against a real node, base is its URL, such as "http://127.0.0.1:8080".
func Example() {
	srv := fakeServer()
	defer srv.Close()
	ctx := context.Background()

	tok, err := client.New(srv.URL).DevToken(ctx, "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	fan := client.New(srv.URL, client.WithToken(tok.Token))

	_, err = fan.Hold(ctx, "demo", client.HoldSeats("A", "A-3", "A-4"), client.IdempotencyKey("alice-1"))
	if errors.Is(err, client.ErrSeatUnavailable) {
		e, _ := client.AsError(err)
		fmt.Println("taken:", e.Seats())
	}
	hold, err := fan.Hold(ctx, "demo", client.HoldBestAvailable("A", 2), client.IdempotencyKey("alice-2"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("held:", hold.Seats, "until", hold.ExpiresAt.Format("15:04"))

	order, err := fan.Confirm(ctx, hold.ID, client.PaymentTokenOK, client.IdempotencyKey("alice-3"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("bought:", order.Seats, order.TotalCents, order.Currency)
	// Output:
	// taken: [A-4]
	// held: [A-7 A-8] until 12:10
	// bought: [A-7 A-8] 24000 USD
}

// While an event's waiting room is open, a hold needs the pass of an admitted ticket: a
// fan joins the queue, follows its ticket (QueueStatus here; FollowQueue pushes it over a
// websocket) until it is admitted, then holds with the pass.
func ExampleClient_JoinQueue() {
	srv := fakeServer()
	defer srv.Close()
	ctx := context.Background()
	fan := client.New(srv.URL, client.WithToken("tok-alice"))

	_, err := fan.Hold(ctx, "drop", client.HoldBestAvailable("A", 2))
	fmt.Println("without a pass:", errors.Is(err, client.ErrQueueRequired))

	ticket, err := fan.JoinQueue(ctx, "drop")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("position", *ticket.Position, "with", ticket.Ahead, "ahead")
	for !ticket.Admitted() {
		if ticket, err = fan.QueueStatus(ctx, ticket.ID); err != nil {
			fmt.Println(err)
			return
		}
	}
	hold, err := fan.Hold(ctx, "drop", client.HoldBestAvailable("A", 2), client.QueuePass(*ticket.Pass))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("held:", hold.Seats)
	// Output:
	// without a pass: true
	// position 8215 with 12 ahead
	// held: [B-4 B-5]
}
