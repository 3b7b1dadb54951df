package http

import (
	"crypto/rand"
	"encoding/binary"
	"sync/atomic"

	"github.com/google/uuid"
)

// requestIDs makes the ids of requests that bring none: UUID-shaped strings, the first
// half random per server, the second a counter that starts at a random value. Unique
// without reading the system's random source per request (which cost a few percent of
// a rush's CPU), and distinct across nodes by their random halves.
type requestIDs struct {
	prefix [8]byte
	next   atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var seed [16]byte
	_, _ = rand.Read(seed[:]) // crypto/rand.Read never fails (Go 1.24+)
	g := &requestIDs{}
	copy(g.prefix[:], seed[:8])
	g.prefix[6] = g.prefix[6]&0x0f | 0x40 // version 4
	g.next.Store(binary.BigEndian.Uint64(seed[8:]))
	return g
}

// newID returns a fresh id.
func (g *requestIDs) newID() string {
	var u uuid.UUID
	copy(u[:8], g.prefix[:])
	binary.BigEndian.PutUint64(u[8:], g.next.Add(1))
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}
