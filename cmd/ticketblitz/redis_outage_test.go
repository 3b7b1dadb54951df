package main

import (
	"context"
	"fmt"
	"io"
	nethttp "net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// outageHolds is how many holds the outage test times while Redis is down.
const outageHolds = 20

// TestRedisOutage points a node at a Redis of the test's own and kills that Redis during
// a sale. Holds keep succeeding, and fast: once the first call has found Redis gone the
// breaker fails every Redis call at once (no lease, no rate limit; the PostgreSQL fence
// keeps the section safe), so a hold waits on no Redis timeout. /readyz stays 200 and
// reports Redis degraded. A Redis restarted on the same port closes the breaker and the
// section's lease is taken again.
func TestRedisOutage(t *testing.T) {
	rs := testenv.StartRedisServer(t, 0)
	s := startServer(t, "TICKETBLITZ_REDIS_URL="+rs.URL(), "TICKETBLITZ_RATE_LIMIT=100000/min")
	admin := s.as("root", "admin")
	ev := admin.do("POST", "/api/v1/events", map[string]any{
		"name": "Outage", "venue": "Hall", "starts_at": "2027-03-01T20:00:00Z", "currency": "USD",
		"sections": []any{map[string]any{"id": "floor", "name": "Floor", "kind": "general_admission", "price_cents": 500, "capacity": 1000}},
	})
	want(t, ev, 201, "")
	eventID := ev.str("id")
	n := 0
	hold := func() (response, time.Duration) {
		n++
		fan := s.as(fmt.Sprintf("fan-%d", n), "fan")
		began := time.Now()
		r := fan.do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": "floor", "quantity": 1})
		return r, time.Since(began)
	}

	up := make([]time.Duration, 5)
	for i := range up {
		r, took := hold()
		want(t, r, 201, "")
		up[i] = took
	}
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr(), MaxRetries: -1})
	defer rc.Close()
	leaseKey := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		keys, err := rc.Keys(ctx, "*lease:section:"+eventID+"/floor").Result()
		if err != nil {
			return err
		}
		if len(keys) != 1 {
			return fmt.Errorf("lease keys %v, want the section's", keys)
		}
		return nil
	}
	if err := leaseKey(); err != nil {
		t.Fatalf("with redis up: %v", err)
	}

	rs.Kill()
	first, tookFirst := hold()
	want(t, first, 201, "")
	if m := metric(t, s, "ticketblitz_redis_up"); m != "0" {
		t.Fatalf("ticketblitz_redis_up = %q after a hold found redis gone, want 0", m)
	}
	down := make([]time.Duration, outageHolds)
	for i := range down {
		r, took := hold()
		want(t, r, 201, "")
		down[i] = took
	}
	// An open breaker sends nothing, so no hold waits on the network for Redis: the least
	// such a wait costs is the probe's timeout (the request path's timeouts and dial
	// retries are longer), which the median stays below.
	if med := median(down); med >= persistence.DefaultRedisProbeTimeout {
		t.Errorf("median hold while redis is down took %v, not below the probe timeout %v: calls still wait for redis; all: %v",
			med, persistence.DefaultRedisProbeTimeout, down)
	}
	if m := metric(t, s, "ticketblitz_redis_fast_failed_calls_total"); m == "0" || m == "" {
		t.Errorf("ticketblitz_redis_fast_failed_calls_total = %q while redis is down", m)
	}
	t.Logf("holds: median %v with redis up; the first after the kill %v (it found redis gone); median %v, slowest %v of %d while it was down",
		median(up).Round(time.Microsecond), tookFirst.Round(time.Millisecond), median(down).Round(time.Microsecond),
		slices.Max(down).Round(time.Microsecond), outageHolds)

	ready := s.anonymous().do("GET", "/readyz", nil)
	checks, _ := ready.Body["checks"].(map[string]any)
	if redisCheck, _ := checks["redis"].(string); ready.Status != 200 || !strings.HasPrefix(redisCheck, "degraded: ") {
		t.Fatalf("readyz with redis down: %d %s", ready.Status, ready.Raw)
	}
	t.Logf("readyz with redis down: %s", ready.Raw)

	testenv.StartRedisServer(t, rs.Port)
	testenv.EventuallyEvery(t, 10*time.Second, 50*time.Millisecond, func() error {
		if m := metric(t, s, "ticketblitz_redis_up"); m != "1" {
			return fmt.Errorf("ticketblitz_redis_up = %q", m)
		}
		return nil
	})
	// The section's lease keeper renews every third of the lease TTL: it finds its lease
	// gone with the old Redis and takes it again.
	testenv.EventuallyEvery(t, 10*time.Second, 50*time.Millisecond, leaseKey)
	r, _ := hold()
	want(t, r, 201, "")
	ready = s.anonymous().do("GET", "/readyz", nil)
	if ready.Status != 200 || ready.Body["checks"].(map[string]any)["redis"] != "ok" {
		t.Fatalf("readyz after redis came back: %d %s", ready.Status, ready.Raw)
	}

	logs := s.logs.String()
	for msg, want := range map[string]int{
		`"msg":"redis unreachable: its calls fail fast until a probe answers`: 1,
		`"msg":"redis answers again: its calls go through"`:                   1,
	} {
		if got := strings.Count(logs, msg); got != want {
			t.Errorf("%d lines with %s, want %d", got, msg, want)
		}
	}
}

// metric reads one unlabelled sample from the node's /metrics ("" when absent).
func metric(t *testing.T, s *testServer, name string) string {
	t.Helper()
	res, err := nethttp.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// median returns the middle duration of ds (zero for none).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
