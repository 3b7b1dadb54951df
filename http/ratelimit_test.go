package http

import (
	"errors"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	tests := []struct {
		retryAfter time.Duration
		header     string
		seconds    float64
	}{
		{1200 * time.Millisecond, "2", 2},
		{3 * time.Second, "3", 3},
		{0, "1", 1},
		{time.Millisecond, "1", 1},
		{-time.Second, "1", 1},
	}
	for _, tt := range tests {
		e := newEnv(t)
		e.limiter.set(false, tt.retryAfter, nil)
		r := e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"A","quantity":1}`, bearer(t, "alice", ""))
		d := r.expectError(t, 429, "RATE_LIMITED")
		if r.header.Get("Retry-After") != tt.header || d["retry_after_seconds"] != tt.seconds {
			t.Errorf("retry after %s: header %q details %v", tt.retryAfter, r.header.Get("Retry-After"), d)
		}
		if len(e.res.holds) != 0 {
			t.Error("a limited request reached reservations")
		}
		if len(e.limiter.keys) != 1 || e.limiter.keys[0] != "user:alice" {
			t.Errorf("limiter keys = %v", e.limiter.keys)
		}
	}
}

func TestRateLimitAppliesToAuthenticatedRoutesOnly(t *testing.T) {
	e := newEnv(t)
	e.limiter.set(false, time.Second, nil)
	e.do(t, "GET", "/api/v1/events", "", nil).expectStatus(t, 200)
	e.do(t, "GET", "/healthz", "", nil).expectStatus(t, 200)
	if len(e.limiter.keys) != 0 {
		t.Errorf("public routes were limited: %v", e.limiter.keys)
	}
	// Unauthenticated calls are refused before they count.
	e.do(t, "GET", "/api/v1/me/orders", "", nil).expectError(t, 401, "UNAUTHENTICATED")
	if len(e.limiter.keys) != 0 {
		t.Errorf("an unauthenticated call was counted: %v", e.limiter.keys)
	}
	e.do(t, "GET", "/api/v1/cluster", "", bearer(t, "root", RoleAdmin)).expectError(t, 429, "RATE_LIMITED")
	if e.limiter.keys[0] != "user:root" {
		t.Errorf("keys = %v", e.limiter.keys)
	}
}

func TestRateLimiterFailsOpenAndLogsOncePerOutage(t *testing.T) {
	e := newEnv(t)
	down := errors.New("redis: connection refused")
	alice := bearer(t, "alice", "")
	failing := func() int { return e.logs.FilterMessage("rate limiter failing; letting requests through").Len() }

	e.limiter.set(false, 0, down)
	for i := 0; i < 3; i++ {
		e.do(t, "GET", "/api/v1/me/orders", "", alice).expectStatus(t, 200)
	}
	if n := failing(); n != 1 {
		t.Fatalf("outage logged %d times, want once", n)
	}
	e.limiter.set(true, 0, nil)
	e.do(t, "GET", "/api/v1/me/orders", "", alice).expectStatus(t, 200)
	if n := e.logs.FilterMessage("rate limiter recovered").Len(); n != 1 {
		t.Fatalf("recovery logged %d times", n)
	}
	e.limiter.set(false, 0, down)
	e.do(t, "GET", "/api/v1/me/orders", "", alice).expectStatus(t, 200)
	if n := failing(); n != 2 {
		t.Fatalf("second outage: logged %d times in all, want 2", n)
	}
}

func TestNoRateLimiterMeansNoLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RateLimiter = nil })
	e.do(t, "GET", "/api/v1/me/orders", "", bearer(t, "alice", "")).expectStatus(t, 200)
}
