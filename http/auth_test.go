package http

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func signed(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuthFailures(t *testing.T) {
	e := newEnv(t)
	exp := jwt.NewNumericDate(testNow.Add(time.Hour))
	good := tokenClaims{Role: RoleFan, RegisteredClaims: jwt.RegisteredClaims{Subject: "alice", ExpiresAt: exp}}
	expired, _, err := IssueToken(testSecret, "alice", "", time.Hour, testNow.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	withRole := func(role string) tokenClaims { c := good; c.Role = role; return c }
	withSub := func(sub string) tokenClaims { c := good; c.Subject = sub; return c }
	noExp := good
	noExp.ExpiresAt = nil

	tests := []struct {
		name, header, message string
	}{
		{"no header", "", "missing bearer token"},
		{"basic scheme", "Basic YWxpY2U6cHc=", "missing bearer token"},
		{"empty bearer", "Bearer ", "missing bearer token"},
		{"garbage", "Bearer not.a.jwt", "invalid token"},
		{"wrong secret", "Bearer " + signed(t, jwt.SigningMethodHS256, []byte("other"), good), "invalid token"},
		{"expired", "Bearer " + expired, "token expired"},
		{"alg none", "Bearer " + signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good), "invalid token"},
		{"alg HS512", "Bearer " + signed(t, jwt.SigningMethodHS512, testSecret, good), "invalid token"},
		{"no exp", "Bearer " + signed(t, jwt.SigningMethodHS256, testSecret, noExp), "invalid token"},
		{"unknown role", "Bearer " + signed(t, jwt.SigningMethodHS256, testSecret, withRole("root")), "invalid token role"},
		{"empty subject", "Bearer " + signed(t, jwt.SigningMethodHS256, testSecret, withSub("")), "invalid token subject"},
		{"bad subject", "Bearer " + signed(t, jwt.SigningMethodHS256, testSecret, withSub("a b")), "invalid token subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.header != "" {
				h["Authorization"] = tt.header
			}
			r := e.do(t, "GET", "/api/v1/me/orders", "", h)
			r.expectError(t, 401, "UNAUTHENTICATED")
			if _, msg, _ := r.errorOf(t); msg != tt.message {
				t.Errorf("message = %q, want %q", msg, tt.message)
			}
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	if len(e.cat.listFor) != 0 {
		t.Errorf("unauthenticated requests reached the catalog: %v", e.cat.listFor)
	}

	// The same token passes with a lower-case scheme and an explicit fan role.
	h := map[string]string{"Authorization": "bearer " + signed(t, jwt.SigningMethodHS256, testSecret, good)}
	e.do(t, "GET", "/api/v1/me/orders", "", h).expectStatus(t, 200)
	h = map[string]string{"Authorization": "Bearer " + signed(t, jwt.SigningMethodHS256, testSecret, withRole(""))}
	e.do(t, "GET", "/api/v1/me/orders", "", h).expectStatus(t, 200)
}

func TestProtectedRoutesNeedAToken(t *testing.T) {
	e := newEnv(t)
	routes := [][2]string{
		{"POST", "/api/v1/events"},
		{"POST", "/api/v1/events/e1/holds"},
		{"GET", "/api/v1/holds/h_1"},
		{"DELETE", "/api/v1/holds/h_1"},
		{"POST", "/api/v1/holds/h_1/extend"},
		{"POST", "/api/v1/holds/h_1/confirm"},
		{"GET", "/api/v1/orders/o_1"},
		{"GET", "/api/v1/me/orders"},
		{"POST", "/api/v1/orders/o_1/cancel"},
		{"GET", "/api/v1/cluster"},
		{"POST", "/api/v1/cluster/drain"},
		{"PUT", "/api/v1/events/e1/waiting-room"},
		{"POST", "/api/v1/events/e1/queue"},
		{"GET", "/api/v1/queue/q_1"},
	}
	for _, rt := range routes {
		e.do(t, rt[0], rt[1], "", nil).expectError(t, 401, "UNAUTHENTICATED")
	}
	public := [][2]string{
		{"GET", "/api/v1/events"},
		{"GET", "/api/v1/events/e1"},
		{"GET", "/api/v1/events/e1/sections/A/seats"},
		{"GET", "/healthz"},
		{"GET", "/readyz"},
		{"GET", "/metrics"},
	}
	for _, rt := range public {
		e.do(t, rt[0], rt[1], "", nil).expectStatus(t, 200)
	}
}

func TestAdminOnlyRoutes(t *testing.T) {
	e := newEnv(t)
	fan := bearer(t, "alice", RoleFan)
	admin := bearer(t, "root", RoleAdmin)
	e.do(t, "POST", "/api/v1/events", validEventBody, fan).expectError(t, 403, "FORBIDDEN")
	e.do(t, "GET", "/api/v1/cluster", "", fan).expectError(t, 403, "FORBIDDEN")
	e.do(t, "POST", "/api/v1/cluster/drain", "", fan).expectError(t, 403, "FORBIDDEN")
	if len(e.cat.created) != 0 || e.cluster.drained != 0 {
		t.Fatal("a fan reached an admin action")
	}
	e.do(t, "POST", "/api/v1/events", validEventBody, admin).expectStatus(t, 201)
	e.do(t, "GET", "/api/v1/cluster", "", admin).expectStatus(t, 200)
	e.do(t, "POST", "/api/v1/cluster/drain", "", admin).expectStatus(t, 202)
}

func TestDevTokens(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "POST", "/api/v1/auth/token", `{"user_id":"alice@example.com","role":"admin"}`, nil)
	r.expectStatus(t, 200)
	expectKeys(t, "token", r.body, []string{"expires_at", "token"})
	if r.body["expires_at"] != "2026-06-02T12:00:00Z" {
		t.Errorf("expires_at = %v, want 24h after now", r.body["expires_at"])
	}
	p, err := parseToken(testSecret, r.body["token"].(string), func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	if p != (principal{UserID: "alice@example.com"}) {
		t.Errorf("principal = %+v: dev tokens must mint fans only", p)
	}
	// The token works on a protected route.
	h := map[string]string{"Authorization": "Bearer " + r.body["token"].(string)}
	e.do(t, "GET", "/api/v1/me/orders", "", h).expectStatus(t, 200)

	for _, body := range []string{`{}`, `{"user_id":""}`, `{"user_id":"a b"}`, `{"user_id":"` + strings.Repeat("a", 65) + `"}`} {
		d := e.do(t, "POST", "/api/v1/auth/token", body, nil).expectError(t, 400, "VALIDATION_FAILED")
		if d["user_id"] == nil {
			t.Errorf("%s: details %v", body, d)
		}
	}

	off := newEnv(t, func(c *Config) { c.DevTokens = false })
	off.do(t, "POST", "/api/v1/auth/token", `{"user_id":"alice"}`, nil).expectError(t, 404, "NOT_FOUND")
}

func TestIssueToken(t *testing.T) {
	tok, exp, err := IssueToken(testSecret, "root", RoleAdmin, 90*time.Minute, testNow.Add(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(testNow.Add(90*time.Minute)) || exp.Location() != time.UTC {
		t.Errorf("expiresAt = %v", exp)
	}
	p, err := parseToken(testSecret, tok, func() time.Time { return testNow })
	if err != nil || p != (principal{UserID: "root", Admin: true}) {
		t.Errorf("parse = %+v, %v", p, err)
	}
	if _, err := parseToken(testSecret, tok, func() time.Time { return exp.Add(time.Second) }); err == nil {
		t.Error("token accepted after its expiry")
	}

	bad := []struct {
		secret []byte
		user   string
		role   string
		ttl    time.Duration
	}{
		{nil, "alice", "", time.Hour},
		{testSecret, "", "", time.Hour},
		{testSecret, "a/b", "", time.Hour},
		{testSecret, "alice", "root", time.Hour},
		{testSecret, "alice", "", 0},
		{testSecret, "alice", "", -time.Hour},
	}
	for _, b := range bad {
		if _, _, err := IssueToken(b.secret, b.user, b.role, b.ttl, testNow); err == nil {
			t.Errorf("IssueToken(%q, %q, %q, %s) succeeded", b.secret, b.user, b.role, b.ttl)
		}
	}
}
