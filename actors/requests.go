package actors

import (
	"crypto/sha256"
	"encoding/binary"
	"sort"
	"strconv"
	"strings"
)

// HoldRequest asks for a hold: explicit seats (all or none), a best-available quantity
// in a reserved section, or a general-admission quantity.
type HoldRequest struct {
	EventID   string
	SectionID string
	UserID    string
	Seats     []string
	Quantity  int
	// Accessible asks best available for accessible seats only.
	Accessible     bool
	IdempotencyKey string
}

// ConfirmRequest pays for a hold and turns it into an order.
type ConfirmRequest struct {
	HoldID         string
	UserID         string
	PaymentToken   string
	IdempotencyKey string
}

// Hash identifies the request's meaning for idempotency: the same key with another hash
// is IDEMPOTENCY_CONFLICT. Explicit seats are compared as a set.
func (r HoldRequest) Hash() []byte {
	seats := append([]string(nil), r.Seats...)
	sort.Strings(seats)
	return hashParts("hold", r.EventID, r.SectionID, strings.Join(seats, ","), strconv.Itoa(r.Quantity), boolString(r.Accessible))
}

// Hash identifies the request's meaning for idempotency.
func (r ConfirmRequest) Hash() []byte {
	return hashParts("confirm", r.HoldID, r.PaymentToken)
}

// The hashes of the commands that carry a hold or order id only: the section stores
// their answers under the Client's idempotency key with these, and the Client compares
// them when it finds such an answer in the store.
func releaseHash(holdID string) []byte { return hashParts("release", holdID) }
func extendHash(holdID string) []byte  { return hashParts("extend", holdID) }
func cancelHash(orderID string) []byte { return hashParts("cancel", orderID) }

// hashParts is the SHA-256 of the parts, each preceded by its length as 8 big-endian
// bytes. The stream is built in one buffer (on the stack for a usual request) and
// summed at once, rather than written part by part to a hash.Hash, which costs an
// allocation for the hash and one for each part.
func hashParts(parts ...string) []byte {
	var buf [256]byte
	b := buf[:0]
	for _, p := range parts {
		b = binary.BigEndian.AppendUint64(b, uint64(len(p)))
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return sum[:]
}

func boolString(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
