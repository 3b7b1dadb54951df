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
// time from now: a validator made for each token cost three allocations. The
// signature's buffers are here too, not in verifyIssuedWith's frame: a fan's first
// request checks its token at the bottom of its connection goroutine's stack.
type macState struct {
	mac       hash.Hash
	buf       []byte
	claims    []byte
	validator *jwt.Validator
	now       time.Time
	// got is the token's signature, decoded from sigText; sum the one computed.
	got, sum [sha256.Size]byte
	sigText  [64]byte
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
	var st *macState
	if macs != nil && bytes.Equal(macs.secret, secret) {
		st = macs.pool.Get().(*macState)
		st.mac.Reset()
	} else {
		st = newMACState(secret)
	}
	ok = st.verify(raw, len(header)+1, len(header)+1+len(payload), sig, now, claims)
	if macs != nil && bytes.Equal(macs.secret, secret) {
		macs.pool.Put(st)
	}
	return ok
}

// verify checks the signature sig of raw[:signedLen], whose payload starts at
// payloadAt, and decodes and validates its claims at now into claims.
func (st *macState) verify(raw string, payloadAt, signedLen int, sig string, now time.Time, claims *tokenClaims) bool {
	if base64.RawURLEncoding.DecodedLen(len(sig)) != len(st.got) || len(sig) > len(st.sigText) {
		return false
	}
	n := copy(st.sigText[:], sig)
	if n, err := base64.RawURLEncoding.Decode(st.got[:], st.sigText[:n]); err != nil || n != len(st.got) {
		return false
	}
	st.buf = append(st.buf[:0], raw[:signedLen]...)
	st.mac.Write(st.buf)
	if !hmac.Equal(st.got[:], st.mac.Sum(st.sum[:0])) {
		return false
	}
	body, err := base64.RawURLEncoding.AppendDecode(st.claims[:0], st.buf[payloadAt:])
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
