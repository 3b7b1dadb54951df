package http

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestErrorTable sends every domain error through a real route and checks status, code,
// details and Retry-After.
func TestErrorTable(t *testing.T) {
	tests := []struct {
		err        error
		status     int
		retryAfter string
		details    map[string]any
	}{
		{actors.Invalid("seats", "bad"), 400, "", map[string]any{"seats": "bad"}},
		{actors.ErrUnauthenticated, 401, "", map[string]any{}},
		{actors.ErrPaymentDeclined, 402, "", map[string]any{}},
		{actors.ErrForbidden, 403, "", map[string]any{}},
		{actors.ErrQueueRequired, 403, "", map[string]any{}},
		{actors.ErrNotFound, 404, "", map[string]any{}},
		{actors.SeatsUnavailable([]string{"A-3", "A-4"}), 409, "", map[string]any{"seats": []any{"A-3", "A-4"}}},
		{actors.ErrSeatUnavailable, 409, "", map[string]any{"seats": []any{}}},
		{actors.ErrSoldOut, 409, "", map[string]any{}},
		{actors.ErrHoldNotActive, 409, "", map[string]any{}},
		{actors.ErrIdempotencyConflict, 409, "", map[string]any{}},
		{actors.ErrHoldExpired, 410, "", map[string]any{}},
		{actors.ErrLimitExceeded, 422, "", map[string]any{}},
		{actors.ErrRateLimited, 429, "1", map[string]any{"retry_after_seconds": 1.0}},
		{actors.ErrUnavailable, 503, "1", map[string]any{"retry_after_seconds": 1.0}},
		{actors.ErrFenced, 503, "1", map[string]any{"retry_after_seconds": 1.0}},
		{&actors.Error{Code: actors.CodeHoldExpired}, 410, "", map[string]any{}},
	}
	for _, tt := range tests {
		code := "UNAVAILABLE"
		if e, ok := actors.AsError(tt.err); ok {
			code = string(e.Code)
		}
		t.Run(code+"/"+tt.err.Error(), func(t *testing.T) {
			e := newEnv(t)
			e.offContract = true // every code from one route: the table, not the route, is under test
			// Wrapped as an adapter would: the table must still find the code.
			e.res.err = fmt.Errorf("section actor: %w", tt.err)
			r := e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"A","quantity":2}`, bearer(t, "alice", ""))
			d := r.expectError(t, tt.status, code)
			if !reflect.DeepEqual(d, tt.details) {
				t.Errorf("details = %#v, want %#v", d, tt.details)
			}
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
		})
	}
}

func TestStatusTableCoversEveryCode(t *testing.T) {
	codes := []actors.Code{
		actors.CodeValidation, actors.CodeUnauthenticated, actors.CodePaymentDeclined, actors.CodeForbidden,
		actors.CodeNotFound, actors.CodeSeatUnavailable, actors.CodeSoldOut, actors.CodeHoldNotActive,
		actors.CodeIdempotencyConflict, actors.CodeHoldExpired, actors.CodeLimitExceeded, actors.CodeRateLimited,
		actors.CodeUnavailable, actors.CodeQueueRequired, actors.CodeNotRecorded,
	}
	for _, c := range codes {
		if _, known := statusOf(c); !known {
			t.Errorf("code %s has no status", c)
		}
	}
	if _, known := statusOf("SOMETHING_NEW"); known {
		t.Error("an unknown code has a status")
	}
}

func TestInternalErrorsAre503AndLoggedOnce(t *testing.T) {
	e := newEnv(t)
	e.cat.err = errors.New("pool closed: secret dsn")
	r := e.do(t, "GET", "/api/v1/events", "", map[string]string{"X-Request-ID": "req-42"})
	d := r.expectError(t, 503, "UNAVAILABLE")
	if r.header.Get("Retry-After") != "1" || d["retry_after_seconds"] != 1.0 {
		t.Errorf("Retry-After %q details %v", r.header.Get("Retry-After"), d)
	}
	if strings.Contains(r.raw, "secret") {
		t.Errorf("internal error text leaked: %s", r.raw)
	}
	logged := e.logs.FilterMessage("request failed").All()
	if len(logged) != 1 {
		t.Fatalf("logged %d times, want once", len(logged))
	}
	ctx := logged[0].ContextMap()
	if ctx["request_id"] != "req-42" || ctx["route"] != "/api/v1/events" || !strings.Contains(fmt.Sprint(ctx["error"]), "pool closed") {
		t.Errorf("log context = %v", ctx)
	}

	// An unknown domain code is an internal failure too.
	e.cat.err = &actors.Error{Code: "NEW_CODE", Message: "x"}
	e.do(t, "GET", "/api/v1/events", "", nil).expectError(t, 503, "UNAVAILABLE")
}

func TestDomainRefusalsAreLoggedOnceAtDebug(t *testing.T) {
	e := newEnv(t)
	e.res.err = actors.ErrSoldOut
	e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"A","quantity":2}`, bearer(t, "alice", ""))
	if n := e.logs.Len(); n != 1 {
		t.Fatalf("%d log lines, want 1", n)
	}
	if l := e.logs.All()[0]; l.Level.String() != "debug" || l.ContextMap()["code"] != "SOLD_OUT" {
		t.Errorf("log = %v %v", l.Level, l.ContextMap())
	}
}

func TestUnknownRoutesAreNotFound(t *testing.T) {
	e := newEnv(t)
	for _, req := range [][2]string{{"GET", "/nope"}, {"GET", "/api/v1/nope"}, {"PUT", "/api/v1/events"}, {"PATCH", "/api/v1/holds/h_1"}} {
		e.do(t, req[0], req[1], "", nil).expectError(t, 404, "NOT_FOUND")
	}
}

func TestPanicsAnswer503(t *testing.T) {
	e := newEnv(t)
	e.offContract = true // a route of the test's own
	e.srv.Mount(func(app *fiber.App) {
		app.Get("/boom", func(*fiber.Ctx) error { panic("kaboom") })
	})
	e.do(t, "GET", "/boom", "", nil).expectError(t, 503, "UNAVAILABLE")
	logged := e.logs.FilterMessage("request failed").All()
	if len(logged) != 1 || !strings.Contains(fmt.Sprint(logged[0].ContextMap()["error"]), "kaboom") {
		t.Errorf("logs = %v", logged)
	}
	// The server keeps serving.
	e.do(t, "GET", "/healthz", "", nil).expectStatus(t, 200)
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.BodyLimit = 64 })
	base := e.serve(t)
	body := `{"section_id":"A","quantity":2,"pad":"` + strings.Repeat("x", 100) + `"}`
	r := e.doURL(t, "POST", base+"/api/v1/events/e1/holds", body, bearer(t, "alice", ""))
	d := r.expectError(t, 400, "VALIDATION_FAILED")
	if d["body"] != "too large" {
		t.Errorf("details = %v", d)
	}
	if r.header.Get("X-Request-ID") == "" {
		t.Error("no request id on an error raised before routing")
	}
	if len(e.res.holds) != 0 {
		t.Error("an oversized request reached reservations")
	}
}

func TestMalformedBodies(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		body  string
		field string
	}{
		{``, "body"},
		{`{`, "body"},
		{`[]`, "body"},
		{`null`, "body"},
		{`"x"`, "body"},
		{`{"section_id":"A","quantity":2} {}`, "body"},
		{`{"section_id":"A","quantity":"2"}`, "quantity"},
		{`{"section_id":"A","quantity":2.5}`, "quantity"},
		{`{"section_id":7,"quantity":2}`, "section_id"},
		{`{"section_id":"A","seats":"A-1"}`, "seats"},
	}
	for _, tt := range tests {
		r := e.do(t, "POST", "/api/v1/events/e1/holds", tt.body, bearer(t, "alice", ""))
		d := r.expectError(t, 400, "VALIDATION_FAILED")
		if _, ok := d[tt.field]; !ok {
			t.Errorf("body %q: details %v do not name %q", tt.body, d, tt.field)
		}
	}
}

func TestCompressedBodiesAreRefused(t *testing.T) {
	e := newEnv(t)
	h := bearer(t, "alice", "")
	h["Content-Encoding"] = "gzip"
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(`{"section_id":"A","quantity":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	d := e.do(t, "POST", "/api/v1/events/e1/holds", buf.String(), h).expectError(t, 400, "VALIDATION_FAILED")
	if d["Content-Encoding"] == nil {
		t.Errorf("details = %v", d)
	}
	h["Content-Encoding"] = "identity"
	e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"A","quantity":1}`, h).expectStatus(t, 201)
	if len(e.res.holds) != 1 {
		t.Errorf("%d holds reached reservations, want 1", len(e.res.holds))
	}
}
