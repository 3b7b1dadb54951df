package http

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// issuedHeader is the header segment of every token IssueToken signs.
var issuedHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// verifyIssued checks a token that has the header IssueToken writes, without the jwt
// parser's generic work (decoding the header into a map, choosing the method). It
// reports true only when the token passes every check ParseWithClaims in verifyToken
// makes, with its claims decoded into claims; on false nothing is decided, and the
// caller runs that parser, which names the problem.
func verifyIssued(secret []byte, raw string, now time.Time, claims *tokenClaims) bool {
	return verifyIssuedWith(nil, secret, raw, now, claims)
}

// macPool keeps HMAC-SHA256 states keyed with one secret, so that checking a token
// does not build one (its two SHA-256 states and key pads) each time.
type macPool struct {
	secret []byte
	pool   sync.Pool
}

func newMACPool(secret []byte) *macPool {
	p := &macPool{secret: secret}
	p.pool.New = func() any { return newMACState(secret) }
	return p
}

// macState is a pooled HMAC, the buffer the signed part of a token is copied into, the
// one its claims are decoded into, and the validator of its claims, which reads the
// time from now: a validator made for each token cost three allocations.
type macState struct {
	mac       hash.Hash
	buf       []byte
	claims    []byte
	validator *jwt.Validator
	now       time.Time
}

func newMACState(secret []byte) *macState {
	st := &macState{mac: hmac.New(sha256.New, secret)}
	st.validator = jwt.NewValidator(jwt.WithExpirationRequired(), jwt.WithTimeFunc(func() time.Time { return st.now }))
	return st
}

// verifyIssuedWith is verifyIssued with HMAC states from macs when macs is not nil and
// holds secret's.
func verifyIssuedWith(macs *macPool, secret []byte, raw string, now time.Time, claims *tokenClaims) bool {
	header, rest, ok := strings.Cut(raw, ".")
	if !ok || header != issuedHeader {
		return false
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig, '.') >= 0 {
		return false
	}
	var got [sha256.Size]byte
	var sigText [64]byte
	if base64.RawURLEncoding.DecodedLen(len(sig)) != len(got) || len(sig) > len(sigText) {
		return false
	}
	n := copy(sigText[:], sig)
	if n, err := base64.RawURLEncoding.Decode(got[:], sigText[:n]); err != nil || n != len(got) {
		return false
	}
	var st *macState
	if macs != nil && bytes.Equal(macs.secret, secret) {
		st = macs.pool.Get().(*macState)
		defer macs.pool.Put(st)
		st.mac.Reset()
	} else {
		st = newMACState(secret)
	}
	st.buf = append(st.buf[:0], raw[:len(header)+1+len(payload)]...)
	st.mac.Write(st.buf)
	var sum [sha256.Size]byte
	if !hmac.Equal(got[:], st.mac.Sum(sum[:0])) {
		return false
	}
	body, err := base64.RawURLEncoding.AppendDecode(st.claims[:0], st.buf[len(header)+1:])
	if err != nil {
		return false
	}
	st.claims = body
	if decodeClaims(body, claims) != nil {
		return false
	}
	st.now = now
	return st.validator.Validate(claims) == nil
}
