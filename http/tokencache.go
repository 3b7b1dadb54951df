package http

import (
	"hash/maphash"
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

// tokenCacheShards is how many independently locked parts the cache is split into.
// Every request of a rush's first wave stores a token: with one lock, the stores
// queued behind each other and every lookup behind them (a preempted writer held the
// whole node's authentication up).
const tokenCacheShards = 64

// tokenCache remembers tokens already verified, by their exact text, so that a fan's
// every request after the first skips parsing and the HMAC. Only a token that passed
// every check is stored, under one secret for the server's life; an entry is used only
// inside its token's own validity window, so it accepts exactly what parsing would.
// It is split into shards by the token's hash, each with its own lock and its share of
// the bound; when a shard is full, an arbitrary entry of it makes room for the new one.
type tokenCache struct {
	seed   maphash.Seed
	shards []tokenShard
}

// tokenShard is one independently locked part of the cache.
type tokenShard struct {
	mu      sync.RWMutex
	max     int
	entries map[string]verifiedToken
}

// newTokenCache returns a cache of at most max tokens (none when max <= 0).
func newTokenCache(max int) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed()}
	if max <= 0 {
		return c
	}
	n := min(tokenCacheShards, max)
	c.shards = make([]tokenShard, n)
	for i := range c.shards {
		per := max / n
		c.shards[i] = tokenShard{max: per, entries: make(map[string]verifiedToken, min(per, 1024))}
	}
	return c
}

func (c *tokenCache) shard(raw string) *tokenShard {
	return &c.shards[maphash.String(c.seed, raw)%uint64(len(c.shards))]
}

// lookup returns raw's principal when raw was verified before and is valid at now.
func (c *tokenCache) lookup(raw string, now time.Time) (principal, bool) {
	if len(c.shards) == 0 {
		return principal{}, false
	}
	sh := c.shard(raw)
	sh.mu.RLock()
	v, ok := sh.entries[raw]
	sh.mu.RUnlock()
	if !ok || !v.validAt(now) {
		return principal{}, false
	}
	return v.p, true
}

// store remembers a verified token. raw may alias a request buffer: it is copied
// (before the lock is taken).
func (c *tokenCache) store(raw string, v verifiedToken) {
	if len(c.shards) == 0 {
		return
	}
	sh := c.shard(raw)
	key := strings.Clone(raw)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.entries[key]; ok {
		return
	}
	if len(sh.entries) >= sh.max {
		for k := range sh.entries {
			delete(sh.entries, k)
			break
		}
	}
	sh.entries[key] = v
}

// len counts the tokens held.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.entries)
		sh.mu.RUnlock()
	}
	return n
}
