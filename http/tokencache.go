package http

import (
	"strings"
	"sync"
	"time"
)

// maxVerifiedTokens bounds the verified-token cache: enough for every fan of a large
// rush to keep its token verified, a few megabytes at most.
const maxVerifiedTokens = 1 << 15

// verifiedToken is a token whose signature and claims were checked, and the window in
// which its claims keep it valid.
type verifiedToken struct {
	p         principal
	notBefore time.Time // zero: no nbf claim
	expires   time.Time
}

// validAt reports whether the token's time claims accept now, by the rules jwt applies:
// now before exp, and not before nbf.
func (v verifiedToken) validAt(now time.Time) bool {
	return now.Before(v.expires) && (v.notBefore.IsZero() || !now.Before(v.notBefore))
}

// tokenCache remembers tokens already verified, by their exact text, so that a fan's
// every request after the first skips parsing and the HMAC. Only a token that passed
// every check is stored, under one secret for the server's life; an entry is used only
// inside its token's own validity window, so it accepts exactly what parsing would.
// When full, an arbitrary entry makes room for the new one.
type tokenCache struct {
	mu      sync.RWMutex
	max     int
	entries map[string]verifiedToken
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, entries: make(map[string]verifiedToken, min(max, 1024))}
}

// lookup returns raw's principal when raw was verified before and is valid at now.
func (c *tokenCache) lookup(raw string, now time.Time) (principal, bool) {
	c.mu.RLock()
	v, ok := c.entries[raw]
	c.mu.RUnlock()
	if !ok || !v.validAt(now) {
		return principal{}, false
	}
	return v.p, true
}

// store remembers a verified token. raw may alias a request buffer: it is copied.
func (c *tokenCache) store(raw string, v verifiedToken) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[raw]; ok {
		return
	}
	if len(c.entries) >= c.max {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[strings.Clone(raw)] = v
}
