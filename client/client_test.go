package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestErrorAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-9")
		switch r.URL.Path {
		case "/api/v1/events/demo/holds":
			w.WriteHeader(409)
			io.WriteString(w, `{"error":{"code":"SEAT_UNAVAILABLE","message":"a requested seat is held or sold","details":{"seats":["A-4"]}}}`)
		case "/api/v1/holds/h_1/confirm":
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(503)
			io.WriteString(w, `{"error":{"code":"UNAVAILABLE","message":"retry","details":{"retry_after_seconds":2}}}`)
		case "/api/v1/events":
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":"VALIDATION_FAILED","message":"invalid request","details":{"name":"is required","sections[0].id":"is required"}}}`)
		default:
			w.WriteHeader(502)
			io.WriteString(w, "<html>bad gateway</html>")
		}
	}))
	defer srv.Close()
	c := New(srv.URL + "/")
	ctx := context.Background()

	_, err := c.Hold(ctx, "demo", HoldSeats("A", "A-3", "A-4"))
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("hold error %v is not an *Error", err)
	}
	if e.Status != 409 || e.Code != CodeSeatUnavailable || e.RequestID != "req-9" || e.Retryable() {
		t.Errorf("hold error %+v", e)
	}
	if got := e.Seats(); len(got) != 1 || got[0] != "A-4" {
		t.Errorf("seats %v", got)
	}
	if !errors.Is(err, ErrSeatUnavailable) || errors.Is(err, ErrSoldOut) {
		t.Errorf("errors.Is does not follow the code: %v", err)
	}
	if want := "POST /api/v1/events/demo/holds: 409 SEAT_UNAVAILABLE: a requested seat is held or sold"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}

	_, err = c.Confirm(ctx, "h_1", PaymentTokenOK)
	e, _ = AsError(err)
	if !errors.Is(err, ErrUnavailable) || e.RetryAfter != 2*time.Second || !e.Retryable() {
		t.Errorf("confirm error %+v", e)
	}

	_, err = c.CreateEvent(ctx, EventSpec{})
	e, _ = AsError(err)
	if f := e.Fields(); len(f) != 2 || f["sections[0].id"] != "is required" {
		t.Errorf("fields %v", f)
	}
	if f := (&Error{Code: CodeSoldOut}).Fields(); f != nil {
		t.Errorf("fields of another code: %v", f)
	}

	_, err = c.GetOrder(ctx, "o_1")
	e, ok = AsError(err)
	if !ok || e.Status != 502 || e.Code != "" || e.Message != "<html>bad gateway</html>" {
		t.Errorf("an answer that is not the API's: %+v", e)
	}
	if errors.Is(err, &Error{}) {
		t.Error("an empty code matched")
	}
}

func TestCapture(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			io.WriteString(w, `{"status":"ok"}`)
			return
		}
		io.WriteString(w, `{"id": "not json`)
	}))
	var ex Exchange
	c := New(srv.URL)
	if _, err := c.Healthz(context.Background(), Capture(&ex)); err != nil {
		t.Fatal(err)
	}
	if ex.Route != "GET /healthz" || ex.Status != 200 || ex.Path != "/healthz" || ex.Start.IsZero() || ex.End.Before(ex.Start) || !ex.Answered() {
		t.Errorf("exchange %+v", ex)
	}

	_, err := c.GetHold(context.Background(), "h_1", Capture(&ex))
	if _, isAPI := AsError(err); err == nil || isAPI || !strings.Contains(err.Error(), "decode answer") {
		t.Errorf("an unreadable 200: %v", err)
	}
	if ex.Status != 200 || ex.Route != "GET /api/v1/holds/{hold_id}" {
		t.Errorf("exchange of an unreadable 200: %+v", ex)
	}

	srv.Close()
	_, err = c.GetHold(context.Background(), "h_1", Capture(&ex))
	if err == nil || ex.Answered() || ex.Header != nil || ex.End.IsZero() {
		t.Errorf("no server: %v, exchange %+v", err, ex)
	}
	if !strings.HasPrefix(err.Error(), "GET /api/v1/holds/h_1: ") {
		t.Errorf("transport error %q does not name the call", err)
	}
}

func TestRequestHeadersAndPaths(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		io.WriteString(w, `{"id":"x","status":"released"}`)
	}))
	defer srv.Close()
	anon := New(srv.URL, WithHTTPClient(srv.Client()))
	bob := anon.WithToken("tok-bob")
	if _, err := bob.Release(context.Background(), "h/1 ?", RequestID("r-1"), IdempotencyKey("k")); err != nil {
		t.Fatal(err)
	}
	if got.Method != "DELETE" || got.URL.EscapedPath() != "/api/v1/holds/h%2F1%20%3F" {
		t.Errorf("request %s %s", got.Method, got.URL.EscapedPath())
	}
	if got.Header.Get("Authorization") != "Bearer tok-bob" || got.Header.Get("X-Request-Id") != "r-1" || got.Header.Get("Idempotency-Key") != "k" {
		t.Errorf("headers %v", got.Header)
	}
	if _, err := anon.Release(context.Background(), "h_1"); err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("Authorization") != "" {
		t.Errorf("an anonymous client sent %q", got.Header.Get("Authorization"))
	}
	if anon.Base() != srv.URL {
		t.Errorf("base %q", anon.Base())
	}
}

func TestContextEndsTheCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := New(srv.URL).ListEvents(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the context's", err)
	}
}

func TestPathOf(t *testing.T) {
	tests := []struct {
		template string
		values   []string
		want     string
	}{
		{"/healthz", nil, "/healthz"},
		{"/api/v1/events/{event_id}/sections/{section_id}/seats", []string{"demo", "A"}, "/api/v1/events/demo/sections/A/seats"},
		{"/api/v1/holds/{hold_id}/confirm", []string{"a b"}, "/api/v1/holds/a%20b/confirm"},
	}
	for _, tt := range tests {
		if got := pathOf(tt.template, tt.values...); got != tt.want {
			t.Errorf("pathOf(%s, %v) = %s, want %s", tt.template, tt.values, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "3": 3 * time.Second, " 1 ": time.Second, "-1": 0, "soon": 0, "1.5": 0} {
		if got := retryAfter(in); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}
