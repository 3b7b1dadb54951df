package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/client"
	"github.com/ticketblitz/ticketblitz/internal/apicheck"
)

// canned is the answer the fake server gives to one route.
type canned struct {
	status int
	body   string
}

// The answers of the fake server, by route. TestEveryCallSpeaksTheDocument holds each
// to the OpenAPI document, so they are answers the real server may give.
var answers = map[string]canned{
	"POST /api/v1/auth/token":       {200, `{"token":"tok-alice","expires_at":"2026-06-02T12:00:00Z"}`},
	"GET /healthz":                  {200, `{"status":"ok"}`},
	"GET /readyz":                   {200, `{"status":"ready","checks":{"postgres":"ok","redis":"ok"}}`},
	"GET /metrics":                  {200, "# TYPE up gauge\nup 1\n"},
	"GET /api/v1/events":            {200, `{"events":[` + eventJSON + `]}`},
	"POST /api/v1/events":           {201, eventJSON},
	"GET /api/v1/events/{event_id}": {200, eventJSON},
	"GET /api/v1/events/{event_id}/sections/{section_id}/seats": {200,
		`{"section_id":"A","version":7,"seats":[{"id":"A-1","row":"A","number":1,"status":"held","accessible":true}]}`},
	"GET /api/v1/events/{event_id}/sections/{section_id}/seats/{seat_id}/history": {200,
		`{"seat_id":"A-3","attempts":[{"seq":41,"at":"2026-06-01T12:00:00Z","user":"another fan","action":"hold","outcome":"granted","code":null,"reason":"held","version":12},` +
			`{"seq":42,"at":"2026-06-01T12:00:00.003Z","user":"you","action":"hold","outcome":"refused","code":"SEAT_UNAVAILABLE","reason":"held by an earlier request, #41, 3 ms before yours","version":12}]}`},
	"POST /api/v1/events/{event_id}/holds":       {201, holdJSON},
	"PUT /api/v1/events/{event_id}/waiting-room": {200, roomJSON},
	"GET /api/v1/events/{event_id}/waiting-room": {200, roomJSON},
	"POST /api/v1/events/{event_id}/queue":       {201, ticketJSON},
	"GET /api/v1/queue/{ticket_id}":              {200, ticketJSON},
	"GET /api/v1/holds/{hold_id}":                {200, holdJSON},
	"DELETE /api/v1/holds/{hold_id}":             {200, `{"id":"h_1","status":"released"}`},
	"POST /api/v1/holds/{hold_id}/extend":        {200, holdJSON},
	"POST /api/v1/holds/{hold_id}/confirm":       {201, orderJSON},
	"GET /api/v1/orders/{order_id}":              {200, orderJSON},
	"GET /api/v1/me/orders":                      {200, `{"orders":[` + orderJSON + `]}`},
	"GET /api/v1/me/holds":                       {200, `{"holds":[` + holdJSON + `]}`},
	"POST /api/v1/orders/{order_id}/cancel":      {200, orderJSON},
	"GET /api/v1/cluster": {200,
		`{"node":"n1","members":[{"name":"n1","address":"127.0.0.1:6330","status":"alive","sections":2}]}`},
	"POST /api/v1/cluster/drain":        {202, `{"status":"draining"}`},
	"POST /api/v1/admin/flash-sale":     {202, flashJSON},
	"GET /api/v1/admin/flash-sale/{id}": {200, flashJSON},
}

const (
	eventJSON = `{"id":"demo","name":"TicketBlitz Live","venue":"Blitz Arena","starts_at":"2026-07-01T20:00:00Z",` +
		`"currency":"USD","status":"on_sale","max_tickets_per_user":8,"sections":[{"id":"A","name":"Section A",` +
		`"kind":"reserved","price_cents":12000,"capacity":200,"available":198,"held":2,"sold":0}]}`
	holdJSON = `{"id":"h_1","event_id":"demo","section_id":"A","seats":["A-3","A-4"],"quantity":2,"status":"held",` +
		`"expires_at":"2026-06-01T12:10:00Z","created_at":"2026-06-01T12:00:00Z","user_id":"alice"}`
	orderJSON = `{"id":"o_1","hold_id":"h_1","event_id":"demo","section_id":"A","seats":["A-3","A-4"],"quantity":2,` +
		`"status":"confirmed","total_cents":24000,"currency":"USD","created_at":"2026-06-01T12:01:00Z","user_id":"alice"}`
	roomJSON = `{"event_id":"demo","enabled":true,"order":"random","opens_at":"2026-06-01T12:00:00Z","admit_per_s":null,` +
		`"admitting_per_s":812.5,"waiting":40,"admitted":2}`
	ticketJSON = `{"id":"q_1","event_id":"demo","user_id":"alice","position":3,"ahead":0,"eta_seconds":0,"status":"admitted",` +
		`"pass":"p_1","pass_expires_at":"2026-06-01T12:10:00Z","joined_at":"2026-06-01T11:59:00Z","follow_after_ms":0}`
	flashJSON = `{"id":"fs_1","event_id":"demo","section_id":"arena","fans":300,"seconds":10,"status":"running",` +
		`"attempts":0,"holds":0,"orders":0,"refusals":0}`
)

// seen is one request the fake server received.
type seen struct {
	route  apicheck.Route
	header http.Header
	query  string
	body   []byte
}

// documentServer answers every documented route with its canned answer, checking the
// request's route against the document and the answer against the route.
func documentServer(t *testing.T, c *apicheck.Checker) (*httptest.Server, *[]seen) {
	t.Helper()
	var mu sync.Mutex
	var log []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		route, ok := c.Route(r)
		if !ok {
			t.Errorf("the client called %s %s, which the document does not have", r.Method, r.URL.Path)
			w.WriteHeader(404)
			return
		}
		mu.Lock()
		log = append(log, seen{route: route, header: r.Header.Clone(), query: r.URL.RawQuery, body: body})
		mu.Unlock()
		a, ok := answers[route.String()]
		if !ok {
			t.Errorf("no canned answer for %s", route)
			w.WriteHeader(500)
			return
		}
		h := http.Header{"X-Request-Id": {"req-1"}, "Content-Type": {"application/json"}}
		if route.Path == "/metrics" {
			h.Set("Content-Type", "text/plain")
		}
		if err := c.Response(r, a.status, h, []byte(a.body)); err != nil {
			t.Errorf("the canned answer is not one the document allows: %v", err)
		}
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &log
}

func TestEveryCallSpeaksTheDocument(t *testing.T) {
	checker, err := apicheck.New()
	if err != nil {
		t.Fatal(err)
	}
	srv, log := documentServer(t, checker)
	ctx := context.Background()
	cl := client.New(srv.URL, client.WithToken("tok-alice"))

	// requestSchema names the schema of each route's request body.
	requestSchema := map[string]string{
		"POST /api/v1/auth/token":                    "TokenRequest",
		"POST /api/v1/events":                        "CreateEventRequest",
		"POST /api/v1/events/{event_id}/holds":       "HoldRequest",
		"POST /api/v1/holds/{hold_id}/confirm":       "ConfirmRequest",
		"POST /api/v1/admin/flash-sale":              "FlashSaleRequest",
		"PUT /api/v1/events/{event_id}/waiting-room": "WaitingRoomRequest",
	}
	wantHold := client.Hold{ID: "h_1", EventID: "demo", SectionID: "A", Seats: []string{"A-3", "A-4"}, Quantity: 2,
		Status: "held", ExpiresAt: at("2026-06-01T12:10:00Z"), CreatedAt: at("2026-06-01T12:00:00Z"), UserID: "alice"}
	wantOrder := client.Order{ID: "o_1", HoldID: "h_1", EventID: "demo", SectionID: "A", Seats: []string{"A-3", "A-4"},
		Quantity: 2, Status: "confirmed", TotalCents: 24000, Currency: "USD", CreatedAt: at("2026-06-01T12:01:00Z"), UserID: "alice"}
	wantEvent := client.Event{ID: "demo", Name: "TicketBlitz Live", Venue: "Blitz Arena", StartsAt: at("2026-07-01T20:00:00Z"),
		Currency: "USD", Status: "on_sale", MaxTicketsPerUser: 8, Sections: []client.Section{{ID: "A", Name: "Section A",
			Kind: client.KindReserved, PriceCents: 12000, Capacity: 200, Available: 198, Held: 2, Sold: 0}}}
	opens, passExpires, position, pass := at("2026-06-01T12:00:00Z"), at("2026-06-01T12:10:00Z"), int64(3), "p_1"
	wantRoom := client.WaitingRoom{EventID: "demo", Enabled: true, Order: client.QueueOrderRandom, OpensAt: &opens,
		AdmittingPerS: 812.5, Waiting: 40, Admitted: 2}
	wantTicket := client.QueueTicket{ID: "q_1", EventID: "demo", UserID: "alice", Position: &position, Status: client.QueueAdmitted,
		Pass: &pass, PassExpiresAt: &passExpires, JoinedAt: at("2026-06-01T11:59:00Z")}
	wantFlash := client.FlashSale{ID: "fs_1", EventID: "demo", SectionID: "arena", Fans: 300, Seconds: 10, Status: "running"}

	calls := []struct {
		route string
		call  func() (any, error)
		want  any
	}{
		{"POST /api/v1/auth/token", func() (any, error) { return cl.DevToken(ctx, "alice") },
			client.Token{Token: "tok-alice", ExpiresAt: at("2026-06-02T12:00:00Z")}},
		{"GET /healthz", func() (any, error) { return cl.Healthz(ctx) }, client.Health{Status: "ok"}},
		{"GET /readyz", func() (any, error) { return cl.Readyz(ctx) },
			client.Readiness{Status: "ready", Checks: map[string]string{"postgres": "ok", "redis": "ok"}}},
		{"GET /metrics", func() (any, error) { return cl.Metrics(ctx) }, []byte("# TYPE up gauge\nup 1\n")},
		{"GET /api/v1/events", func() (any, error) { return cl.ListEvents(ctx) }, []client.Event{wantEvent}},
		{"POST /api/v1/events", func() (any, error) {
			return cl.CreateEvent(ctx, client.EventSpec{Name: "Night Drop", Venue: "Arena", StartsAt: at("2026-12-31T20:00:00Z"),
				Currency: "USD", Sections: []client.SectionSpec{
					{ID: "A", Kind: client.KindReserved, PriceCents: 12000, Rows: []client.RowSpec{{Label: "A", Seats: 20}}, Accessible: []string{"A-1"}},
					{ID: "floor", Kind: client.KindGeneralAdmission, PriceCents: 8000, Capacity: 500},
				}})
		}, wantEvent},
		{"GET /api/v1/events/{event_id}", func() (any, error) { return cl.GetEvent(ctx, "demo") }, wantEvent},
		{"GET /api/v1/events/{event_id}/sections/{section_id}/seats", func() (any, error) { return cl.SeatMap(ctx, "demo", "A") },
			client.SeatMap{SectionID: "A", Version: 7, Seats: []client.Seat{{ID: "A-1", Row: "A", Number: 1, Status: "held", Accessible: true}}}},
		{"POST /api/v1/events/{event_id}/holds", func() (any, error) {
			return cl.Hold(ctx, "demo", client.HoldSeats("A", "A-3", "A-4"), client.IdempotencyKey("k-1"))
		}, wantHold},
		{"POST /api/v1/events/{event_id}/holds", func() (any, error) {
			req := client.HoldBestAvailable("arena", 4)
			req.Accessible = true
			return cl.Hold(ctx, "demo", req)
		}, wantHold},
		{"POST /api/v1/events/{event_id}/holds", func() (any, error) { return cl.Hold(ctx, "demo", client.HoldPlaces("floor", 2)) }, wantHold},
		{"GET /api/v1/holds/{hold_id}", func() (any, error) { return cl.GetHold(ctx, "h_1") }, wantHold},
		{"DELETE /api/v1/holds/{hold_id}", func() (any, error) { return cl.Release(ctx, "h_1") }, client.Released{ID: "h_1", Status: "released"}},
		{"POST /api/v1/holds/{hold_id}/extend", func() (any, error) { return cl.Extend(ctx, "h_1") }, wantHold},
		{"POST /api/v1/holds/{hold_id}/confirm", func() (any, error) {
			return cl.Confirm(ctx, "h_1", client.PaymentTokenOK, client.IdempotencyKey("k-2"))
		}, wantOrder},
		{"GET /api/v1/orders/{order_id}", func() (any, error) { return cl.GetOrder(ctx, "o_1") }, wantOrder},
		{"GET /api/v1/me/orders", func() (any, error) { return cl.MyOrders(ctx) }, []client.Order{wantOrder}},
		{"POST /api/v1/orders/{order_id}/cancel", func() (any, error) { return cl.Cancel(ctx, "o_1") }, wantOrder},
		{"PUT /api/v1/events/{event_id}/waiting-room", func() (any, error) {
			return cl.SetWaitingRoom(ctx, "demo", client.WaitingRoomRequest{Enabled: true, Order: client.QueueOrderRandom, OpensAt: &opens})
		}, wantRoom},
		{"GET /api/v1/events/{event_id}/waiting-room", func() (any, error) { return cl.WaitingRoom(ctx, "demo") }, wantRoom},
		{"POST /api/v1/events/{event_id}/queue", func() (any, error) { return cl.JoinQueue(ctx, "demo") }, wantTicket},
		{"GET /api/v1/queue/{ticket_id}", func() (any, error) { return cl.QueueStatus(ctx, "q_1") }, wantTicket},
		{"POST /api/v1/events/{event_id}/holds", func() (any, error) {
			return cl.Hold(ctx, "demo", client.HoldBestAvailable("A", 2), client.QueuePass("p_1"))
		}, wantHold},
		{"GET /api/v1/me/holds", func() (any, error) { return cl.MyHolds(ctx) }, []client.Hold{wantHold}},
		{"GET /api/v1/cluster", func() (any, error) { return cl.Cluster(ctx) },
			client.Cluster{Node: "n1", Members: []client.Member{{Name: "n1", Address: "127.0.0.1:6330", Status: "alive", Sections: 2}}}},
		{"POST /api/v1/cluster/drain", func() (any, error) { return nil, cl.Drain(ctx) }, nil},
		{"POST /api/v1/admin/flash-sale", func() (any, error) {
			return cl.StartFlashSale(ctx, client.FlashSaleRequest{EventID: "demo", SectionID: "arena", Fans: 300, Seconds: 10})
		}, wantFlash},
		{"GET /api/v1/admin/flash-sale/{id}", func() (any, error) { return cl.FlashSale(ctx, "fs_1") }, wantFlash},
		{"GET /api/v1/events/{event_id}/sections/{section_id}/seats/{seat_id}/history", func() (any, error) {
			return cl.SeatHistory(ctx, "demo", "A", "A-3")
		}, client.SeatHistory{SeatID: "A-3", Attempts: []client.SeatAttempt{
			{Seq: 41, At: at("2026-06-01T12:00:00Z"), User: "another fan", Action: "hold", Outcome: "granted", Reason: "held", Version: 12},
			{Seq: 42, At: at("2026-06-01T12:00:00.003Z"), User: "you", Action: "hold", Outcome: "refused", Code: client.CodeSeatUnavailable,
				Reason: "held by an earlier request, #41, 3 ms before yours", Version: 12},
		}}},
		{"GET /api/v1/queue/{ticket_id}", func() (any, error) { return cl.AwaitQueue(ctx, "q_1", 2500*time.Millisecond) }, wantTicket},
	}
	called := map[string]bool{}
	for i, c := range calls {
		got, err := c.call()
		if err != nil {
			t.Errorf("%s: %v", c.route, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s decoded\n %+v\nwant\n %+v", c.route, got, c.want)
		}
		if len(*log) != i+1 {
			t.Fatalf("%s: the server saw %d requests, want %d", c.route, len(*log), i+1)
		}
		s := (*log)[i]
		if s.route.String() != c.route {
			t.Errorf("called %s, want %s", s.route, c.route)
		}
		if s.header.Get("Authorization") != "Bearer tok-alice" {
			t.Errorf("%s: Authorization %q", c.route, s.header.Get("Authorization"))
		}
		if schema := requestSchema[c.route]; schema != "" {
			if ct := s.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: Content-Type %q", c.route, ct)
			}
			if err := checker.Message(schema, s.body); err != nil {
				t.Errorf("%s sent a body the document does not allow: %v\n%s", c.route, err, s.body)
			}
		} else if len(s.body) != 0 {
			t.Errorf("%s sent a body: %s", c.route, s.body)
		}
		called[c.route] = true
	}
	for _, r := range checker.Routes() {
		_, served := answers[r.String()]
		if served && !called[r.String()] {
			t.Errorf("no call of %s", r)
		}
	}
	if got := (*log)[8].header.Get("Idempotency-Key"); got != "k-1" {
		t.Errorf("hold Idempotency-Key %q", got)
	}
	if got := (*log)[9].header.Get("Idempotency-Key"); got != "" {
		t.Errorf("a call without the option sent Idempotency-Key %q", got)
	}
	var body map[string]any
	if err := json.Unmarshal((*log)[9].body, &body); err != nil || body["accessible"] != true || body["quantity"] != 4.0 {
		t.Errorf("best-available body %s", (*log)[9].body)
	}
	for i, s := range *log {
		want := ""
		if i == 22 {
			want = "p_1"
		}
		if got := s.header.Get("X-Queue-Pass"); got != want {
			t.Errorf("call %d (%s) sent X-Queue-Pass %q, want %q", i, s.route, got, want)
		}
	}
	if q := (*log)[len(*log)-1].query; q != "wait_ms=2500" {
		t.Errorf("AwaitQueue sent the query %q, want wait_ms=2500", q)
	}
	if !bytes.Contains((*log)[5].body, []byte(`"starts_at":"2026-12-31T20:00:00Z"`)) {
		t.Errorf("create event body %s", (*log)[5].body)
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
