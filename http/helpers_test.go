package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

var testSecret = []byte("test-secret-0123456789abcdef")

// env is a server over fakes.
type env struct {
	srv     *Server
	res     *fakeReservations
	cat     *fakeCatalog
	limiter *fakeLimiter
	cluster *fakeCluster
	logs    *observer.ObservedLogs
	reg     *prometheus.Registry
	// offContract turns off do's check of every answer against docs/openapi.yaml, for
	// the few tests that make the server answer what no real configuration does: a
	// fake returning every domain error from one route, routes mounted by the test, a
	// server without websockets.
	offContract bool
}

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	e := &env{
		res:     &fakeReservations{},
		cat:     newFakeCatalog(),
		limiter: &fakeLimiter{allowed: true},
		cluster: &fakeCluster{},
		logs:    logs,
		reg:     prometheus.NewRegistry(),
	}
	cfg := Config{
		Reservations: e.res,
		Catalog:      e.cat,
		RateLimiter:  e.limiter,
		Cluster:      e.cluster,
		JWTSecret:    testSecret,
		DevTokens:    true,
		Registry:     e.reg,
		Logger:       zap.New(core),
		Clock:        func() time.Time { return testNow },
		OpenAPI:      openAPIJSON(t),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.srv = srv
	return e
}

// token mints a token valid at testNow.
func token(t *testing.T, user, role string) string {
	t.Helper()
	tok, _, err := IssueToken(testSecret, user, role, time.Hour, testNow)
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	return tok
}

func bearer(t *testing.T, user, role string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token(t, user, role)}
}

// response is a decoded answer.
type response struct {
	status int
	header nethttp.Header
	raw    string
	body   map[string]any
}

func (e *env) do(t *testing.T, method, path, body string, headers map[string]string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
		}
	}
	if !e.offContract {
		if err := checkAnswer(req, resp.StatusCode, resp.Header, raw); err != nil {
			t.Errorf("%s %s: %v", method, path, err)
		}
	}
	return out
}

// errorOf returns the error object of an error body, failing the test when the body
// does not have the contract's shape.
func (r response) errorOf(t *testing.T) (code, message string, details map[string]any) {
	t.Helper()
	obj, ok := r.body["error"].(map[string]any)
	if !ok || len(r.body) != 1 {
		t.Fatalf("status %d: body %s is not {\"error\":{…}}", r.status, r.raw)
	}
	code, _ = obj["code"].(string)
	message, _ = obj["message"].(string)
	details, ok = obj["details"].(map[string]any)
	if !ok {
		t.Fatalf("status %d: details missing or not an object in %s", r.status, r.raw)
	}
	if code == "" || message == "" || len(obj) != 3 {
		t.Fatalf("status %d: error object %s lacks code or message or has extra keys", r.status, r.raw)
	}
	return code, message, details
}

// expectError checks status and code and returns the details.
func (r response) expectError(t *testing.T, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	got, _, details := r.errorOf(t)
	if got != code {
		t.Fatalf("code = %q, want %q; body %s", got, code, r.raw)
	}
	return details
}

func (r response) expectStatus(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
}

// keys returns the sorted keys of a JSON object.
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// serve runs the server on a free local port until the test ends and returns its URL.
func (e *env) serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.srv.Listener(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// doURL sends a request over the network.
func (e *env) doURL(t *testing.T, method, url, body string, headers map[string]string) response {
	t.Helper()
	r, err := sendURL(method, url, body, headers)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sendURL sends a request over the network; it may run outside the test goroutine.
func sendURL(method, url, body string, headers map[string]string) (response, error) {
	req, err := nethttp.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &nethttp.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("read body: %w", err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			return response{}, fmt.Errorf("%s %s: body %q is not a JSON object: %w", method, url, raw, err)
		}
	}
	if err := checkAnswer(req, resp.StatusCode, resp.Header, raw); err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	return out, nil
}
