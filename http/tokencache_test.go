package http

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A token verified once is still refused once its exp passes, and before its nbf, even
// though it sits in the cache.
func TestVerifiedTokenCacheKeepsTimeClaims(t *testing.T) {
	var now atomic.Int64
	now.Store(testNow.UnixNano())
	e := newEnv(t, func(c *Config) { c.Clock = func() time.Time { return time.Unix(0, now.Load()) } })

	tok, exp, err := IssueToken(testSecret, "alice", "", time.Hour, testNow)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": "Bearer " + tok}
	for range 3 {
		e.do(t, "GET", "/api/v1/me/orders", "", h).expectStatus(t, 200)
	}
	if _, ok := e.srv.tokens.lookup(tok, testNow); !ok {
		t.Fatal("a verified token was not cached")
	}
	now.Store(exp.UnixNano())
	r := e.do(t, "GET", "/api/v1/me/orders", "", h)
	r.expectError(t, 401, "UNAUTHENTICATED")
	if _, msg, _ := r.errorOf(t); msg != "token expired" {
		t.Errorf("message = %q, want token expired", msg)
	}

	later := tokenClaims{RegisteredClaims: jwt.RegisteredClaims{
		Subject:   "bob",
		NotBefore: jwt.NewNumericDate(testNow.Add(time.Minute)),
		ExpiresAt: jwt.NewNumericDate(testNow.Add(time.Hour)),
	}}
	nbf := "Bearer " + signed(t, jwt.SigningMethodHS256, testSecret, later)
	now.Store(testNow.Add(2 * time.Minute).UnixNano())
	e.do(t, "GET", "/api/v1/me/orders", "", map[string]string{"Authorization": nbf}).expectStatus(t, 200)
	now.Store(testNow.UnixNano())
	e.do(t, "GET", "/api/v1/me/orders", "", map[string]string{"Authorization": nbf}).expectError(t, 401, "UNAUTHENTICATED")
}

// Refused tokens are never cached, and the cache holds at most its bound.
func TestVerifiedTokenCacheStoresOnlyValidTokensAndStaysBounded(t *testing.T) {
	e := newEnv(t)
	forged := "Bearer " + signed(t, jwt.SigningMethodHS256, []byte("other"),
		tokenClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: "alice", ExpiresAt: jwt.NewNumericDate(testNow.Add(time.Hour))}})
	for range 2 {
		e.do(t, "GET", "/api/v1/me/orders", "", map[string]string{"Authorization": forged}).expectError(t, 401, "UNAUTHENTICATED")
	}
	if n := e.srv.tokens.len(); n != 0 {
		t.Errorf("%d refused tokens cached", n)
	}

	c := newTokenCache(3)
	for i, user := range []string{"a", "b", "c", "d", "e"} {
		raw := token(t, user, "")
		c.store(raw, verifiedToken{p: principal{UserID: user}, expires: testNow.Add(time.Hour)})
		if n := c.len(); n < 1 || n > min(i+1, 3) {
			t.Fatalf("after %d stores the cache holds %d, want 1..%d", i+1, n, min(i+1, 3))
		}
		if p, ok := c.lookup(raw, testNow); !ok || p.UserID != user {
			t.Fatalf("the newest token %s is not found: %+v %v", user, p, ok)
		}
	}
}

// Lookups and stores from many requests at once, with evictions, under -race.
func TestVerifiedTokenCacheConcurrent(t *testing.T) {
	c := newTokenCache(16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				raw := fmt.Sprintf("tok-%d-%d", g, i%40)
				if p, ok := c.lookup(raw, testNow); ok && p.UserID != raw {
					t.Errorf("token %s found with principal %s", raw, p.UserID)
					return
				}
				c.store(raw, verifiedToken{p: principal{UserID: raw}, expires: testNow.Add(time.Hour)})
			}
		})
	}
	wg.Wait()
	if n := c.len(); n > 16 {
		t.Errorf("the cache holds %d tokens, bound 16", n)
	}
}

// Split into shards, a cache far from its bound keeps every token it was given, and
// one of bound zero keeps none.
func TestVerifiedTokenCacheShardsKeepEveryTokenBelowTheBound(t *testing.T) {
	c := newTokenCache(maxVerifiedTokens)
	for i := range 2000 {
		raw := fmt.Sprintf("tok-%d", i)
		c.store(raw, verifiedToken{p: principal{UserID: raw}, expires: testNow.Add(time.Hour)})
	}
	if n := c.len(); n != 2000 {
		t.Errorf("the cache holds %d of 2000 tokens", n)
	}
	for i := range 2000 {
		raw := fmt.Sprintf("tok-%d", i)
		if p, ok := c.lookup(raw, testNow); !ok || p.UserID != raw {
			t.Fatalf("token %s: %+v %v", raw, p, ok)
		}
	}
	off := newTokenCache(0)
	off.store("tok", verifiedToken{p: principal{UserID: "u"}, expires: testNow.Add(time.Hour)})
	if _, ok := off.lookup("tok", testNow); ok || off.len() != 0 {
		t.Error("a cache of bound 0 kept a token")
	}
}
