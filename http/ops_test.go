package http

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/healthz", "", nil)
	if r.status != 200 || r.raw != `{"status":"ok"}` {
		t.Errorf("healthz = %d %s", r.status, r.raw)
	}
}

func TestReadyz(t *testing.T) {
	var redisErr error
	e := newEnv(t, func(c *Config) {
		c.Ready = map[string]func(context.Context) error{
			"postgres": func(context.Context) error { return nil },
			"redis":    func(context.Context) error { return redisErr },
		}
	})
	r := e.do(t, "GET", "/readyz", "", nil)
	r.expectStatus(t, 200)
	if r.raw != `{"status":"ready","checks":{"postgres":"ok","redis":"ok"}}` {
		t.Errorf("ready = %s", r.raw)
	}

	redisErr = errors.New("dial tcp 127.0.0.1:6379: connection refused")
	r = e.do(t, "GET", "/readyz", "", nil)
	d := r.expectError(t, 503, "UNAVAILABLE")
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	if !reflect.DeepEqual(d["failing"], []any{"redis"}) {
		t.Errorf("failing = %v", d["failing"])
	}
	checks := d["checks"].(map[string]any)
	if checks["postgres"] != "ok" || !strings.Contains(checks["redis"].(string), "connection refused") {
		t.Errorf("checks = %v", checks)
	}
	if _, msg, _ := r.errorOf(t); !strings.Contains(msg, "redis") {
		t.Errorf("message %q does not name the failing check", msg)
	}

	// A check that hangs is cut off by its context.
	hung := newEnv(t, func(c *Config) {
		c.RequestTimeout = 50 * time.Millisecond
		c.Ready = map[string]func(context.Context) error{
			"cluster": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
		}
	})
	d = hung.do(t, "GET", "/readyz", "", nil).expectError(t, 503, "UNAVAILABLE")
	if !strings.Contains(d["checks"].(map[string]any)["cluster"].(string), "deadline") {
		t.Errorf("hung check = %v", d["checks"])
	}

	// No checks: ready.
	none := newEnv(t)
	none.do(t, "GET", "/readyz", "", nil).expectStatus(t, 200)
}

// TestReadyzDegraded: a failing degradable check is reported as degraded and the node
// stays ready; a failing required check still makes it unready, with the degraded one
// reported beside it.
func TestReadyzDegraded(t *testing.T) {
	var redisErr, postgresErr error
	e := newEnv(t, func(c *Config) {
		c.Ready = map[string]func(context.Context) error{
			"postgres": func(context.Context) error { return postgresErr },
		}
		c.Degradable = map[string]func(context.Context) error{
			"redis": func(context.Context) error { return redisErr },
		}
	})
	r := e.do(t, "GET", "/readyz", "", nil)
	r.expectStatus(t, 200)
	if r.raw != `{"status":"ready","checks":{"postgres":"ok","redis":"ok"}}` {
		t.Errorf("ready = %s", r.raw)
	}

	redisErr = errors.New("redis unavailable: calls fail fast until it answers again")
	r = e.do(t, "GET", "/readyz", "", nil)
	r.expectStatus(t, 200)
	if r.raw != `{"status":"ready","checks":{"postgres":"ok","redis":"degraded: redis unavailable: calls fail fast until it answers again"}}` {
		t.Errorf("ready with redis down = %s", r.raw)
	}

	postgresErr = errors.New("connection refused")
	r = e.do(t, "GET", "/readyz", "", nil)
	d := r.expectError(t, 503, "UNAVAILABLE")
	if !reflect.DeepEqual(d["failing"], []any{"postgres"}) {
		t.Errorf("failing = %v", d["failing"])
	}
	checks := d["checks"].(map[string]any)
	if checks["postgres"] != "connection refused" || !strings.HasPrefix(checks["redis"].(string), "degraded: ") {
		t.Errorf("checks = %v", checks)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	e.do(t, "GET", "/api/v1/events/e1", "", nil).expectStatus(t, 200)
	e.do(t, "GET", "/api/v1/events/nope", "", nil).expectStatus(t, 404)
	e.do(t, "GET", "/no/such/route/x1", "", nil).expectStatus(t, 404)
	r := e.do(t, "GET", "/metrics", "", nil)
	r.expectStatus(t, 200)
	for _, want := range []string{
		`ticketblitz_http_request_duration_seconds_count{method="GET",route="/api/v1/events/:event_id",status="200"} 1`,
		`ticketblitz_http_request_duration_seconds_count{method="GET",route="/api/v1/events/:event_id",status="404"} 1`,
		`ticketblitz_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1`,
		`ticketblitz_http_requests_in_flight 1`, // the /metrics request itself
	} {
		if !strings.Contains(r.raw, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(r.raw, "/api/v1/events/e1") || strings.Contains(r.raw, "x1") {
		t.Error("metrics carry raw paths")
	}
}

func TestCluster(t *testing.T) {
	e := newEnv(t)
	admin := bearer(t, "root", RoleAdmin)
	r := e.do(t, "GET", "/api/v1/cluster", "", admin)
	r.expectStatus(t, 200)
	want := `{"node":"n1","members":[{"name":"n1","address":"127.0.0.1:7946","status":"alive","sections":3},{"name":"n2","address":"127.0.0.1:7947","status":"suspect","sections":0}]}`
	if r.raw != want {
		t.Errorf("cluster = %s", r.raw)
	}
	r = e.do(t, "POST", "/api/v1/cluster/drain", "", admin)
	if r.status != 202 || r.raw != `{"status":"draining"}` || e.cluster.drained != 1 {
		t.Errorf("drain = %d %s (%d drains)", r.status, r.raw, e.cluster.drained)
	}
	e.cluster.err = errors.New("memberlist: leave timeout")
	e.do(t, "POST", "/api/v1/cluster/drain", "", admin).expectError(t, 503, "UNAVAILABLE")

	none := newEnv(t, func(c *Config) { c.Cluster = nil })
	r = none.do(t, "GET", "/api/v1/cluster", "", admin)
	r.expectError(t, 503, "UNAVAILABLE")
	if r.header.Get("Retry-After") != "1" {
		t.Error("no Retry-After")
	}
	none.do(t, "POST", "/api/v1/cluster/drain", "", admin).expectError(t, 503, "UNAVAILABLE")
}
