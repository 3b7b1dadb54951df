package apicheck

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const holdBody = `{"id":"h_1","event_id":"demo","section_id":"A","seats":["A-3","A-4"],"quantity":2,` +
	`"status":"held","expires_at":"2026-06-01T12:10:00Z","created_at":"2026-06-01T12:00:00.123456Z","user_id":"alice"}`

func newTestChecker(t *testing.T) *Checker {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatalf("the embedded document: %v", err)
	}
	return c
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-1"}}
}

func TestResponses(t *testing.T) {
	c := newTestChecker(t)
	withRetryAfter := jsonHeader()
	withRetryAfter.Set("Retry-After", "1")
	tests := []struct {
		name         string
		method, path string
		status       int
		header       http.Header
		body         string
		// fails lists what the error must say; none means the response is valid.
		fails []string
	}{
		{name: "a correct hold", method: "POST", path: "/api/v1/events/demo/holds", status: 201, body: holdBody},
		{name: "a correct general-admission map", method: "GET", path: "/api/v1/events/demo/sections/floor/seats", status: 200,
			body: `{"section_id":"floor","version":3,"capacity":500,"available":490,"held":6,"sold":4}`},
		{name: "a correct refusal", method: "POST", path: "/api/v1/events/demo/holds", status: 409,
			body: `{"error":{"code":"SEAT_UNAVAILABLE","message":"taken","details":{"seats":["A-4"]}}}`},
		{name: "a correct 503", method: "DELETE", path: "/api/v1/holds/h_1", status: 503, header: withRetryAfter,
			body: `{"error":{"code":"UNAVAILABLE","message":"retry","details":{"retry_after_seconds":1}}}`},
		{name: "missing field", method: "POST", path: "/api/v1/events/demo/holds", status: 201,
			body:  strings.Replace(holdBody, `"user_id":"alice"`, `"userId":"alice"`, 1),
			fails: []string{"POST /api/v1/events/{event_id}/holds answered 201", "missing property 'user_id'", "'userId' not allowed"}},
		{name: "extra field", method: "GET", path: "/api/v1/holds/h_1", status: 200,
			body:  strings.Replace(holdBody, `"quantity":2`, `"quantity":2,"accessible":true`, 1),
			fails: []string{"GET /api/v1/holds/{hold_id} answered 200", "'accessible' not allowed"}},
		{name: "wrong type", method: "POST", path: "/api/v1/holds/h_1/extend", status: 200,
			body:  strings.Replace(holdBody, `"quantity":2`, `"quantity":"2"`, 1),
			fails: []string{"$.quantity", "got string, want integer"}},
		{name: "null where a list is due", method: "POST", path: "/api/v1/holds/h_1/extend", status: 200,
			body:  strings.Replace(holdBody, `["A-3","A-4"]`, `null`, 1),
			fails: []string{"$.seats", "got null, want array"}},
		{name: "bad time", method: "GET", path: "/api/v1/holds/h_1", status: 200,
			body:  strings.Replace(holdBody, `2026-06-01T12:10:00Z`, `June 1st`, 1),
			fails: []string{"$.expires_at", "date-time"}},
		{name: "value out of its enum", method: "GET", path: "/api/v1/holds/h_1", status: 200,
			body:  strings.Replace(holdBody, `"status":"held"`, `"status":"pending"`, 1),
			fails: []string{"$.status"}},
		{name: "undocumented status", method: "GET", path: "/healthz", status: 503, body: `{"status":"ok"}`,
			fails: []string{"GET /healthz answered 503", "'503'"}},
		{name: "wrong code for the status", method: "DELETE", path: "/api/v1/holds/h_1", status: 409,
			body:  `{"error":{"code":"SOLD_OUT","message":"m","details":{}}}`,
			fails: []string{"$.error.code", "HOLD_NOT_ACTIVE"}},
		{name: "503 without Retry-After", method: "GET", path: "/api/v1/events", status: 503,
			body:  `{"error":{"code":"UNAVAILABLE","message":"retry","details":{"retry_after_seconds":1}}}`,
			fails: []string{"Retry-After"}},
		{name: "undocumented route", method: "GET", path: "/api/v1/nothing", status: 200, body: `{}`,
			fails: []string{"GET /api/v1/nothing", "no such route"}},
		{name: "undocumented method", method: "PUT", path: "/api/v1/events", status: 200, body: `{}`,
			fails: []string{"PUT /api/v1/events", "no such route"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = jsonHeader()
			}
			err := c.Response(httptest.NewRequest(tt.method, tt.path, nil), tt.status, h, []byte(tt.body))
			if len(tt.fails) == 0 {
				if err != nil {
					t.Fatalf("a valid response failed: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("an invalid response passed")
			}
			var re *ResponseError
			if !errors.As(err, &re) || re.Status != tt.status {
				t.Errorf("error %#v is not a *ResponseError with status %d", err, tt.status)
			}
			for _, want := range tt.fails {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestUndocumentedRouteIsErrNoRoute(t *testing.T) {
	c := newTestChecker(t)
	err := c.Response(httptest.NewRequest("GET", "/api/v1/me/wishlist", nil), 200, jsonHeader(), []byte(`{}`))
	if !errors.Is(err, ErrNoRoute) {
		t.Errorf("error %v is not ErrNoRoute", err)
	}
	err = c.Response(httptest.NewRequest("GET", "/healthz", nil), 500, jsonHeader(), []byte(`{}`))
	if err == nil || errors.Is(err, ErrNoRoute) {
		t.Errorf("an undocumented status: %v", err)
	}
}

func TestRoutes(t *testing.T) {
	c := newTestChecker(t)
	got := map[string]bool{}
	for _, r := range c.Routes() {
		got[r.String()] = true
	}
	for _, want := range []string{
		"GET /healthz", "GET /readyz", "GET /metrics", "POST /api/v1/auth/token",
		"POST /api/v1/events", "POST /api/v1/events/{event_id}/holds", "DELETE /api/v1/holds/{hold_id}",
		"POST /api/v1/admin/flash-sale", "GET /api/v1/admin/flash-sale/{id}",
		"GET /api/v1/cluster", "POST /api/v1/cluster/drain",
		"GET /ws/events/{event_id}", "GET /ws/visualizer",
	} {
		if !got[want] {
			t.Errorf("no route %s", want)
		}
	}
	routes := c.Routes()
	routes[0].Path = "changed"
	if c.Routes()[0].Path == "changed" {
		t.Error("Routes hands out the checker's own slice")
	}
}

func TestRouteMatching(t *testing.T) {
	r := Route{Method: "GET", Path: "/api/v1/events/{event_id}/sections/{section_id}/seats"}
	if !r.Matches("/api/v1/events/demo/sections/A/seats") {
		t.Error("a matching path did not match")
	}
	for _, p := range []string{"/api/v1/events/demo/sections//seats", "/api/v1/events/demo/sections/A", "/api/v1/events/demo/sections/A/seats/x"} {
		if r.Matches(p) {
			t.Errorf("%s matched", p)
		}
	}
	if got := r.FiberPath(); got != "/api/v1/events/:event_id/sections/:section_id/seats" {
		t.Errorf("fiber path %s", got)
	}
}

func TestAnInvalidDocumentIsRefused(t *testing.T) {
	tests := map[string]string{
		"not 3.1":   "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n",
		"not valid": "openapi: 3.1.0\ninfo: {version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n        '200': {}\n",
		"not yaml":  "openapi: [\n",
	}
	for name, spec := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := newChecker([]byte(spec)); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestAnswerToAnUnknownRoute(t *testing.T) {
	c := newTestChecker(t)
	notFound := `{"error":{"code":"NOT_FOUND","message":"no such route","details":{}}}`
	tests := []struct {
		name         string
		method, path string
		status       int
		header       http.Header
		body         string
		fails        []string
	}{
		{name: "a documented route is held to the document", method: "GET", path: "/healthz", status: 200,
			header: jsonHeader(), body: `{"status":"ok"}`},
		{name: "a documented route's drift still fails", method: "GET", path: "/healthz", status: 200,
			header: jsonHeader(), body: `{"status":"fine"}`, fails: []string{"GET /healthz answered 200"}},
		{name: "an unknown path answers 404 NOT_FOUND", method: "GET", path: "/api/v1/nothing", status: 404,
			header: jsonHeader(), body: notFound},
		{name: "an unknown method answers 404 NOT_FOUND", method: "PUT", path: "/api/v1/events", status: 404,
			header: jsonHeader(), body: notFound},
		{name: "an unknown path answered 200", method: "GET", path: "/api/v1/nothing", status: 200,
			header: jsonHeader(), body: notFound, fails: []string{"GET /api/v1/nothing answered 200", "not answered 404"}},
		{name: "an unknown path with another code", method: "GET", path: "/api/v1/nothing", status: 404,
			header: jsonHeader(), body: `{"error":{"code":"FORBIDDEN","message":"m","details":{}}}`, fails: []string{"NotFoundError"}},
		{name: "an unknown path without a request id", method: "GET", path: "/api/v1/nothing", status: 404,
			header: http.Header{"Content-Type": {"application/json"}}, body: notFound, fails: []string{"X-Request-Id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Answer(httptest.NewRequest(tt.method, tt.path, nil), tt.status, tt.header, []byte(tt.body))
			if len(tt.fails) == 0 {
				if err != nil {
					t.Fatalf("a valid answer failed: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("an invalid answer passed")
			}
			for _, want := range tt.fails {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
		})
	}
}
