package http

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

func TestNewValidatesConfig(t *testing.T) {
	valid := func() Config {
		return Config{Reservations: &fakeReservations{}, Catalog: newFakeCatalog(), JWTSecret: testSecret, Logger: zap.NewNop()}
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no reservations", func(c *Config) { c.Reservations = nil }, "reservations is required"},
		{"no catalog", func(c *Config) { c.Catalog = nil }, "catalog is required"},
		{"no secret", func(c *Config) { c.JWTSecret = nil }, "jwt secret is required"},
		{"no logger", func(c *Config) { c.Logger = nil }, "logger is required"},
		{"negative ttl", func(c *Config) { c.TokenTTL = -time.Second }, "token ttl"},
		{"negative hold ttl", func(c *Config) { c.HoldTTL = -time.Second }, "hold ttl"},
		{"negative body limit", func(c *Config) { c.BodyLimit = -1 }, "body limit"},
		{"negative timeout", func(c *Config) { c.RequestTimeout = -1 }, "request timeout"},
		{"nil check", func(c *Config) { c.Ready = map[string]func(context.Context) error{"db": nil} }, `readiness check "db" is nil`},
		{"nil degradable check", func(c *Config) { c.Degradable = map[string]func(context.Context) error{"redis": nil} }, `readiness check "redis" is nil`},
		{"check both required and degradable", func(c *Config) {
			ok := func(context.Context) error { return nil }
			c.Ready = map[string]func(context.Context) error{"redis": ok}
			c.Degradable = map[string]func(context.Context) error{"redis": ok}
		}, `readiness check "redis" is both required and degradable`},
	}
	for _, tt := range tests {
		cfg := valid()
		tt.change(&cfg)
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
	// Every missing requirement is reported at once.
	_, err := New(Config{})
	for _, want := range []string{"reservations", "catalog", "jwt secret", "logger"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("empty config: err = %v lacks %q", err, want)
		}
	}

	s, err := New(valid())
	if err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	if s.cfg.TokenTTL != DefaultTokenTTL || s.cfg.BodyLimit != DefaultBodyLimit || s.cfg.RequestTimeout != DefaultRequestTimeout || s.cfg.Registry == nil || s.cfg.Clock == nil {
		t.Errorf("defaults not applied: %+v", s.cfg)
	}

	// Two servers on one registry is a wiring mistake, reported and not a panic.
	reg := prometheus.NewRegistry()
	cfg := valid()
	cfg.Registry = reg
	if _, err := New(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); err == nil {
		t.Error("second server on the same registry: no error")
	}
}

func TestRequestIDs(t *testing.T) {
	e := newEnv(t)
	uuidLike := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	tests := []struct {
		incoming string
		keep     bool
	}{
		{"", false},
		{"req-42_a.b:c", true},
		{"has space", false},
		{"quote\"", false},
		{strings.Repeat("a", 129), false},
		{strings.Repeat("a", 128), true},
	}
	for _, tt := range tests {
		h := map[string]string{}
		if tt.incoming != "" {
			h["X-Request-ID"] = tt.incoming
		}
		for _, path := range []string{"/healthz", "/nope"} {
			got := e.do(t, "GET", path, "", h).header.Get("X-Request-ID")
			if tt.keep && got != tt.incoming {
				t.Errorf("%s %q: echoed %q", path, tt.incoming, got)
			}
			if !tt.keep && !uuidLike.MatchString(got) {
				t.Errorf("%s %q: got %q, want a new uuid", path, tt.incoming, got)
			}
		}
	}
}

func TestHandlersGetABoundedContext(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RequestTimeout = 3 * time.Second })
	before := time.Now()
	e.do(t, "POST", "/api/v1/events/e1/holds", `{"section_id":"A","quantity":1}`, bearer(t, "alice", "")).expectStatus(t, 201)
	if !e.res.hasDeadline {
		t.Fatal("reservations got a context without deadline")
	}
	if d := e.res.deadline.Sub(before); d < 3*time.Second || d > time.Minute {
		t.Errorf("deadline %s after the request, want 3s after it started", d)
	}
}

func TestMount(t *testing.T) {
	e := newEnv(t)
	e.offContract = true // a route of the test's own
	e.srv.Mount(func(app *fiber.App) {
		app.Get("/hello", func(c *fiber.Ctx) error { return c.SendString("hi") })
	})
	r := e.do(t, "GET", "/hello", "", nil)
	if r.status != 200 || r.raw != "hi" || r.header.Get("X-Request-ID") == "" {
		t.Errorf("mounted route = %d %q %v", r.status, r.raw, r.header)
	}
	e.do(t, "GET", "/hello/there", "", nil).expectError(t, 404, "NOT_FOUND")
	e.do(t, "GET", "/api/v1/events", "", nil).expectStatus(t, 200)
}

// TestShutdownDrainsInFlightRequests starts a hold that blocks inside Reservations,
// shuts the server down, and checks that the hold is still answered.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	e := newEnv(t)
	e.res.entered = make(chan struct{})
	e.res.block = make(chan struct{})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- e.srv.Listener(ln) }()

	answered := make(chan response, 1)
	failed := make(chan error, 1)
	headers := bearer(t, "alice", "")
	go func() {
		r, err := sendURL("POST", "http://"+addr+"/api/v1/events/e1/holds", `{"section_id":"A","quantity":1}`, headers)
		if err != nil {
			failed <- err
			return
		}
		answered <- r
	}()
	<-e.res.entered

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shutdown := make(chan error, 1)
	go func() { shutdown <- e.srv.Shutdown(ctx) }()

	// Wait until the server stops accepting connections, then let the hold finish.
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepts connections after Shutdown")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	default:
	}
	close(e.res.block)

	select {
	case r := <-answered:
		r.expectStatus(t, 201)
	case err := <-failed:
		t.Fatalf("in-flight request failed: %v", err)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Listener: %v", err)
	}
}

// TestShutdownBeforeServing: Listener and Listen after Shutdown return at once (fasthttp
// closes only the listeners its serving loop registered: a Shutdown that came first left
// them accepting for ever).
func TestShutdownBeforeServing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		serve func(*Server) error
	}{
		{"Listener", func(s *Server) error {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			return s.Listener(ln)
		}},
		{"Listen", func(s *Server) error { return s.Listen("127.0.0.1:0") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := e.srv.Shutdown(ctx); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			served := make(chan error, 1)
			go func() { served <- tc.serve(e.srv) }()
			select {
			case err := <-served:
				if err != nil {
					t.Fatalf("%s after Shutdown: %v", tc.name, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s still serving 10 s after Shutdown", tc.name)
			}
		})
	}
}
