package http

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

const validEventBody = `{"name":"Night Drop","venue":"Arena","starts_at":"2026-12-31T21:00:00+01:00","currency":"USD",
 "sections":[
  {"id":"A","name":"Section A","kind":"reserved","price_cents":12000,
   "rows":[{"label":"A","seats":20},{"label":"B","seats":22}],"accessible":["A-1","B-22"]},
  {"id":"floor","name":"Floor","kind":"general_admission","price_cents":8000,"capacity":500}]}`

var (
	eventKeys   = []string{"currency", "id", "max_tickets_per_user", "name", "sections", "starts_at", "status", "venue"}
	sectionKeys = []string{"available", "capacity", "held", "id", "kind", "name", "price_cents", "sold"}
	holdKeys    = []string{"created_at", "event_id", "expires_at", "id", "quantity", "seats", "section_id", "status", "user_id"}
	orderKeys   = []string{"created_at", "currency", "event_id", "hold_id", "id", "quantity", "seats", "section_id", "status", "total_cents", "user_id"}
)

func expectKeys(t *testing.T, what string, obj any, want []string) map[string]any {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, not an object", what, obj)
	}
	if got := keys(m); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s keys = %v, want %v", what, got, want)
	}
	return m
}

func TestEventRoutes(t *testing.T) {
	e := newEnv(t)

	r := e.do(t, "GET", "/api/v1/events", "", nil)
	r.expectStatus(t, 200)
	evs, ok := r.body["events"].([]any)
	if !ok || len(evs) != 1 {
		t.Fatalf("events = %s", r.raw)
	}
	ev := expectKeys(t, "event", evs[0], eventKeys)
	if ev["starts_at"] != "2026-12-31T19:00:00Z" {
		t.Errorf("starts_at = %v, want UTC 2026-12-31T19:00:00Z", ev["starts_at"])
	}
	secs := ev["sections"].([]any)
	sec := expectKeys(t, "section", secs[0], sectionKeys)
	if sec["kind"] != "reserved" || sec["available"] != 40.0 || sec["held"] != 1.0 || sec["sold"] != 1.0 || sec["capacity"] != 42.0 {
		t.Errorf("section = %v", sec)
	}

	r = e.do(t, "GET", "/api/v1/events/e1", "", nil)
	r.expectStatus(t, 200)
	expectKeys(t, "event", r.body, eventKeys)

	e.do(t, "GET", "/api/v1/events/nope", "", nil).expectError(t, 404, "NOT_FOUND")
	e.do(t, "GET", "/api/v1/events/"+strings.Repeat("x", 200), "", nil).expectError(t, 404, "NOT_FOUND")

	// An empty catalog is an empty list, never null.
	e.cat.events = nil
	r = e.do(t, "GET", "/api/v1/events", "", nil)
	if r.raw != `{"events":[]}` {
		t.Errorf("empty list = %s", r.raw)
	}
}

func TestSeatMapShapes(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/api/v1/events/e1/sections/A/seats", "", nil)
	r.expectStatus(t, 200)
	expectKeys(t, "seat map", r.body, []string{"seats", "section_id", "version"})
	seats := r.body["seats"].([]any)
	seat := expectKeys(t, "seat", seats[0], []string{"accessible", "id", "number", "row", "status"})
	if seat["id"] != "A-1" || seat["row"] != "A" || seat["number"] != 1.0 || seat["status"] != "sold" || seat["accessible"] != true {
		t.Errorf("seat = %v", seat)
	}
	if strings.Contains(r.raw, "secret") {
		t.Errorf("seat map leaks hold or order ids: %s", r.raw)
	}

	r = e.do(t, "GET", "/api/v1/events/e1/sections/floor/seats", "", nil)
	r.expectStatus(t, 200)
	m := expectKeys(t, "ga map", r.body, []string{"available", "capacity", "held", "section_id", "sold", "version"})
	if m["version"] != 3.0 || m["available"] != 490.0 || m["held"] != 6.0 || m["sold"] != 4.0 || m["capacity"] != 500.0 {
		t.Errorf("ga map = %v", m)
	}

	e.do(t, "GET", "/api/v1/events/e1/sections/zz/seats", "", nil).expectError(t, 404, "NOT_FOUND")
	e.do(t, "GET", "/api/v1/events/e1/sections/"+strings.Repeat("a", 33)+"/seats", "", nil).expectError(t, 404, "NOT_FOUND")
}

func TestCreateEvent(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "POST", "/api/v1/events", validEventBody, bearer(t, "root", RoleAdmin))
	r.expectStatus(t, 201)
	expectKeys(t, "event", r.body, eventKeys)
	if len(e.cat.created) != 1 {
		t.Fatalf("catalog got %d events", len(e.cat.created))
	}
	got := e.cat.created[0]
	if got.ID != "" || r.body["id"] != "ev_new" {
		t.Errorf("id = %q (answered %v), want the catalog to assign it", got.ID, r.body["id"])
	}
	if got.MaxTicketsPerUser != actors.DefaultMaxTicketsPerUser || got.Status != "on_sale" {
		t.Errorf("defaults: max %d status %q", got.MaxTicketsPerUser, got.Status)
	}
	if got.StartsAt.Location().String() != "UTC" || got.StartsAt.Hour() != 20 {
		t.Errorf("starts_at = %v, want 20:00 UTC", got.StartsAt)
	}
	a, floor := got.Sections[0], got.Sections[1]
	if a.Kind != actors.KindReserved || a.Capacity != 42 || a.Available != 42 || len(a.Rows) != 2 ||
		a.Rows[1] != (actors.RowSpec{Label: "B", Seats: 22}) || !reflect.DeepEqual(a.Accessible, []string{"A-1", "B-22"}) {
		t.Errorf("section A = %+v", a)
	}
	if floor.Kind != actors.KindGeneralAdmission || floor.Capacity != 500 || floor.PriceCents != 8000 || floor.Rows != nil {
		t.Errorf("floor = %+v", floor)
	}
	if r.body["starts_at"] != "2026-12-31T20:00:00Z" {
		t.Errorf("answered starts_at %v", r.body["starts_at"])
	}
}

func TestHoldRoutes(t *testing.T) {
	e := newEnv(t)
	alice := bearer(t, "alice", "")

	r := e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"A","seats":["A-3","A-4"]}`, alice)
	r.expectStatus(t, 201)
	h := expectKeys(t, "hold", r.body, holdKeys)
	if h["expires_at"] != "2026-06-01T12:10:00Z" || h["created_at"] != "2026-06-01T12:00:00Z" || h["user_id"] != "alice" || h["status"] != "held" {
		t.Errorf("hold = %v", h)
	}
	want := actors.HoldRequest{EventID: "e1", SectionID: "A", UserID: "alice", Seats: []string{"A-3", "A-4"}}
	if !reflect.DeepEqual(e.res.holds[0], want) {
		t.Errorf("request = %+v, want %+v", e.res.holds[0], want)
	}

	r = e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"floor","quantity":2}`, alice)
	r.expectStatus(t, 201)
	if r.body["seats"] == nil || len(r.body["seats"].([]any)) != 0 {
		t.Errorf("seats of a GA hold = %v, want []", r.body["seats"])
	}
	r = e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"A","quantity":3,"accessible":true}`, alice)
	r.expectStatus(t, 201)
	want = actors.HoldRequest{EventID: "e1", SectionID: "A", UserID: "alice", Quantity: 3, Accessible: true}
	if !reflect.DeepEqual(e.res.holds[2], want) {
		t.Errorf("request = %+v, want %+v", e.res.holds[2], want)
	}

	r = e.do(t, "GET", "/api/v1/holds/h_alice", "", alice)
	r.expectStatus(t, 200)
	expectKeys(t, "hold", r.body, holdKeys)

	r = e.do(t, "DELETE", "/api/v1/holds/h_9", "", alice)
	r.expectStatus(t, 200)
	if r.raw != `{"id":"h_9","status":"released"}` {
		t.Errorf("release = %s", r.raw)
	}
	if e.res.releases[0] != [2]string{"h_9", "alice"} {
		t.Errorf("release call = %v", e.res.releases[0])
	}

	r = e.do(t, "POST", "/api/v1/holds/h_9/extend", "", alice)
	r.expectStatus(t, 200)
	expectKeys(t, "hold", r.body, holdKeys)
	if r.body["expires_at"] != "2026-06-01T12:20:00Z" || e.res.extends[0] != [2]string{"h_9", "alice"} {
		t.Errorf("extend = %s, call %v", r.raw, e.res.extends)
	}

	r = e.do(t, "POST", "/api/v1/holds/h_9/confirm", `{"payment_token":"tok_ok"}`, alice)
	r.expectStatus(t, 201)
	o := expectKeys(t, "order", r.body, orderKeys)
	if o["status"] != "confirmed" || o["total_cents"] != 24000.0 || o["hold_id"] != "h_9" {
		t.Errorf("order = %v", o)
	}
	wantConfirm := actors.ConfirmRequest{HoldID: "h_9", UserID: "alice", PaymentToken: "tok_ok"}
	if e.res.confirms[0] != wantConfirm {
		t.Errorf("confirm = %+v, want %+v", e.res.confirms[0], wantConfirm)
	}
}

func TestHoldAndOrderOwnership(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		path, user, role string
		status           int
		code             string
	}{
		{"/api/v1/holds/h_alice", "alice", "", 200, ""},
		{"/api/v1/holds/h_alice", "bob", "", 403, "FORBIDDEN"},
		{"/api/v1/holds/h_alice", "root", RoleAdmin, 200, ""},
		{"/api/v1/holds/h_missing", "alice", "", 404, "NOT_FOUND"},
		{"/api/v1/orders/o_alice", "alice", "", 200, ""},
		{"/api/v1/orders/o_alice", "bob", "", 403, "FORBIDDEN"},
		{"/api/v1/orders/o_alice", "root", RoleAdmin, 200, ""},
		{"/api/v1/orders/o_missing", "alice", "", 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.path+"/"+tt.user, func(t *testing.T) {
			r := e.do(t, "GET", tt.path, "", bearer(t, tt.user, tt.role))
			if tt.code != "" {
				r.expectError(t, tt.status, tt.code)
				return
			}
			r.expectStatus(t, tt.status)
		})
	}
}

func TestMyHoldsListsTheCallersHeldHolds(t *testing.T) {
	e := newEnv(t)
	e.cat.holds["h_gone"] = actors.Hold{ID: "h_gone", EventID: "e1", SectionID: "floor", UserID: "alice", Quantity: 1,
		Status: actors.HoldReleased, CreatedAt: testNow}
	r := e.do(t, "GET", "/api/v1/me/holds", "", bearer(t, "alice", ""))
	r.expectStatus(t, 200)
	holds, _ := r.body["holds"].([]any)
	if len(holds) != 1 {
		t.Fatalf("holds = %s", r.raw)
	}
	expectKeys(t, "hold", holds[0], holdKeys)
	if id := holds[0].(map[string]any)["id"]; id != "h_alice" {
		t.Fatalf("listed %v, want h_alice", id)
	}
	r = e.do(t, "GET", "/api/v1/me/holds", "", bearer(t, "carol", ""))
	if r.raw != `{"holds":[]}` {
		t.Errorf("no holds = %s", r.raw)
	}
	e.do(t, "GET", "/api/v1/me/holds", "", nil).expectError(t, 401, "UNAUTHENTICATED")
}

func TestOrderRoutes(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/api/v1/orders/o_alice", "", bearer(t, "alice", ""))
	r.expectStatus(t, 200)
	expectKeys(t, "order", r.body, orderKeys)

	r = e.do(t, "GET", "/api/v1/me/orders", "", bearer(t, "alice", ""))
	r.expectStatus(t, 200)
	orders := r.body["orders"].([]any)
	if len(orders) != 1 || e.cat.listFor[0] != "alice" {
		t.Fatalf("orders = %s (asked for %v)", r.raw, e.cat.listFor)
	}
	expectKeys(t, "order", orders[0], orderKeys)
	r = e.do(t, "GET", "/api/v1/me/orders", "", bearer(t, "carol", ""))
	if r.raw != `{"orders":[]}` {
		t.Errorf("no orders = %s", r.raw)
	}

	r = e.do(t, "POST", "/api/v1/orders/o_alice/cancel", "", bearer(t, "alice", ""))
	r.expectStatus(t, 200)
	if r.body["status"] != "cancelled" {
		t.Errorf("cancel = %s", r.raw)
	}
	e.do(t, "POST", "/api/v1/orders/o_alice/cancel", "", bearer(t, "root", RoleAdmin)).expectStatus(t, 200)
	want := []cancelCall{{"o_alice", "alice", false}, {"o_alice", "root", true}}
	if !reflect.DeepEqual(e.res.cancels, want) {
		t.Errorf("cancels = %+v, want %+v", e.res.cancels, want)
	}
}

func TestIdempotencyKeyPassesThrough(t *testing.T) {
	e := newEnv(t)
	alice := bearer(t, "alice", "")
	alice["Idempotency-Key"] = "k-123 abc"
	e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"floor","quantity":1}`, alice).expectStatus(t, 201)
	e.do(t, "POST", "/api/v1/holds/h_1/confirm", `{"payment_token":"tok_ok"}`, alice).expectStatus(t, 201)
	if e.res.holds[0].IdempotencyKey != "k-123 abc" || e.res.confirms[0].IdempotencyKey != "k-123 abc" {
		t.Errorf("keys = %q, %q", e.res.holds[0].IdempotencyKey, e.res.confirms[0].IdempotencyKey)
	}

	// Without the header the key is empty.
	e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"floor","quantity":1}`, bearer(t, "alice", "")).expectStatus(t, 201)
	if e.res.holds[1].IdempotencyKey != "" {
		t.Errorf("key = %q, want empty", e.res.holds[1].IdempotencyKey)
	}

	// A bad key is reported together with a bad body, and nothing is reserved.
	alice["Idempotency-Key"] = strings.Repeat("k", 129)
	d := e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"floor","quantity":0}`, alice).expectError(t, 400, "VALIDATION_FAILED")
	if d["Idempotency-Key"] == nil || d["quantity"] == nil {
		t.Errorf("details = %v", d)
	}
	d = e.do(t, "POST", "/api/v1/holds/h_1/confirm", `{"payment_token":"tok_ok"}`, alice).expectError(t, 400, "VALIDATION_FAILED")
	if d["Idempotency-Key"] == nil {
		t.Errorf("details = %v", d)
	}
	if len(e.res.holds) != 2 || len(e.res.confirms) != 1 {
		t.Errorf("invalid requests reached reservations: %d holds, %d confirms", len(e.res.holds), len(e.res.confirms))
	}
}

// TestRequestValuesOutliveTheRequest proves that what handlers pass on does not alias
// Fiber's buffers, which are reused by the next request.
func TestRequestValuesOutliveTheRequest(t *testing.T) {
	e := newEnv(t)
	for _, v := range []string{"aaaaaaaa", "bbbbbbbb", "cccccccc"} {
		h := bearer(t, "user"+v, "")
		h["Idempotency-Key"] = "key-" + v
		body := `{"section_id":"S` + v + `","seats":["A-1","B-2"]}`
		e.do(t, "POST", "/api/v1/events/ev"+v+"/holds", body, h).expectStatus(t, 201)
		e.do(t, "POST", "/api/v1/holds/h"+v+"/confirm", `{"payment_token":"tok`+v+`"}`, h).expectStatus(t, 201)
		e.do(t, "POST", "/api/v1/holds/h"+v+"/extend", "", h).expectStatus(t, 200)
		e.do(t, "DELETE", "/api/v1/holds/h"+v, "", h).expectStatus(t, 200)
		e.do(t, "POST", "/api/v1/orders/o"+v+"/cancel", "", h).expectStatus(t, 200)
	}
	for i, v := range []string{"aaaaaaaa", "bbbbbbbb", "cccccccc"} {
		want := actors.HoldRequest{EventID: "ev" + v, SectionID: "S" + v, UserID: "user" + v, Seats: []string{"A-1", "B-2"}, IdempotencyKey: "key-" + v}
		if got := e.res.holds[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("hold %d changed after its request: %+v, want %+v", i, got, want)
		}
		wantConfirm := actors.ConfirmRequest{HoldID: "h" + v, UserID: "user" + v, PaymentToken: "tok" + v, IdempotencyKey: "key-" + v}
		if got := e.res.confirms[i]; got != wantConfirm {
			t.Errorf("confirm %d changed after its request: %+v, want %+v", i, got, wantConfirm)
		}
		if got := e.res.extends[i]; got != [2]string{"h" + v, "user" + v} {
			t.Errorf("extend %d changed: %v", i, got)
		}
		if got := e.res.releases[i]; got != [2]string{"h" + v, "user" + v} {
			t.Errorf("release %d changed: %v", i, got)
		}
		if got := e.res.cancels[i]; got != (cancelCall{"o" + v, "user" + v, false}) {
			t.Errorf("cancel %d changed: %v", i, got)
		}
	}
}

func TestResponsesAreJSON(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/api/v1/events", "", nil)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
	var v any
	if err := json.Unmarshal([]byte(r.raw), &v); err != nil {
		t.Fatal(err)
	}
}
