package actors

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix followed by 16 random base32 characters (80 bits), such as
// "h_k3j…" for holds and "o_…" for orders.
func NewID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	var s strings.Builder
	s.WriteString(prefix)
	s.WriteString(idEncoding.EncodeToString(b[:]))
	return s.String()
}

// UserRateKey is the key of a user's per-user request allowance: every route charges
// it, and a join charges it in the join's own script, so the two must name it alike.
func UserRateKey(userID string) string { return "user:" + userID }
