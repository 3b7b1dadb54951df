package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DevSecret is the server's public development JWT secret.
const DevSecret = "ticketblitz-dev-secret-do-not-use-in-production"

// TokenSource gives a fan token for a user.
type TokenSource interface {
	Token(ctx context.Context, userID string) (string, error)
}

// LocalTokens mints HS256 tokens with the server's secret, as the server does.
type LocalTokens struct {
	Secret []byte
	TTL    time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
}

// Token mints a fan token.
func (l LocalTokens) Token(_ context.Context, userID string) (string, error) {
	return l.Mint(userID, "fan")
}

// Mint signs a token for userID with role "fan" or "admin".
func (l LocalTokens) Mint(userID, role string) (string, error) {
	if len(l.Secret) == 0 {
		return "", errors.New("mint token: empty secret")
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	ttl := l.TTL
	if ttl <= 0 {
		ttl = 2 * time.Hour
	}
	t := now()
	claims := jwt.MapClaims{"sub": userID, "role": role, "iat": t.Unix(), "exp": t.Add(ttl).Unix()}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(l.Secret)
	if err != nil {
		return "", fmt.Errorf("mint token for %s: %w", userID, err)
	}
	return s, nil
}

// APITokens fetches fan tokens from POST /api/v1/auth/token.
type APITokens struct {
	Base string
	HTTP *http.Client
}

// Token fetches a fan token for userID.
func (a APITokens) Token(ctx context.Context, userID string) (string, error) {
	c := New(Config{Base: a.Base, HTTP: a.HTTP})
	var last Result
	for attempt := 0; attempt < 3; attempt++ {
		tok, r := c.DevToken(ctx, userID)
		if r.OK() && r.Err == nil {
			return tok, nil
		}
		last = r
		if !r.Retryable() || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	return "", fmt.Errorf("token for %s from the API: %w", userID, last.Error())
}

// CachingTokens remembers the tokens another source gave.
type CachingTokens struct {
	Source TokenSource
	mu     sync.Mutex
	tokens map[string]string
}

// Token returns the cached token for userID, asking Source the first time.
func (c *CachingTokens) Token(ctx context.Context, userID string) (string, error) {
	c.mu.Lock()
	tok, ok := c.tokens[userID]
	c.mu.Unlock()
	if ok {
		return tok, nil
	}
	tok, err := c.Source.Token(ctx, userID)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.tokens == nil {
		c.tokens = map[string]string{}
	}
	c.tokens[userID] = tok
	c.mu.Unlock()
	return tok, nil
}
