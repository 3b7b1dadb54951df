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
// one its claims are decoded into, the validator of its claims, which reads the time
// from now (a validator made for each token cost three allocations), and the buffers of
// the signature's text, its value and the computed sum: a token is checked at a
// connection goroutine's deepest point, where 128 bytes of them on the stack were part
// of what made the stack outgrow 4 KB.
type macState struct {
	mac       hash.Hash
	buf       []byte
	claims    []byte
	validator *jwt.Validator
	now       time.Time
	sigText   [64]byte
	got, sum  [sha256.Size]byte
	payloadAt int
	// token is the claims of the token being checked, for Server.verify.
	token tokenClaims
}

func newMACState(secret []byte) *macState {
	st := &macState{mac: hmac.New(sha256.New, secret)}
	st.validator = jwt.NewValidator(jwt.WithExpirationRequired(), jwt.WithTimeFunc(func() time.Time { return st.now }))
	return st
}

// verifyIssuedWith is verifyIssued with HMAC states from macs when macs is not nil and
// holds secret's.
func verifyIssuedWith(macs *macPool, secret []byte, raw string, now time.Time, claims *tokenClaims) bool {
	var st *macState
	if macs != nil && bytes.Equal(macs.secret, secret) {
		st = macs.get()
		defer macs.pool.Put(st)
	} else {
		st = newMACState(secret)
	}
	return st.signed(raw) && st.claimsOf(now, claims)
}

// get returns a pooled HMAC state, reset.
func (p *macPool) get() *macState {
	st := p.pool.Get().(*macState)
	st.mac.Reset()
	return st
}

// signed reports whether raw has the header IssueToken writes and a valid signature by
// st's secret, with st.buf then holding its signed part and st.payloadAt where its
// payload starts. It is not inlined, and keeps its buffers in st: the HMAC beneath it
// is a connection goroutine's deepest point.
//
//go:noinline
func (st *macState) signed(raw string) bool {
	header, rest, ok := strings.Cut(raw, ".")
	if !ok || header != issuedHeader {
		return false
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig, '.') >= 0 {
		return false
	}
	if base64.RawURLEncoding.DecodedLen(len(sig)) != len(st.got) || len(sig) > len(st.sigText) {
		return false
	}
	n := copy(st.sigText[:], sig)
	if n, err := base64.RawURLEncoding.Decode(st.got[:], st.sigText[:n]); err != nil || n != len(st.got) {
		return false
	}
	st.payloadAt = len(header) + 1
	st.buf = append(st.buf[:0], raw[:st.payloadAt+len(payload)]...)
	st.mac.Write(st.buf)
	return hmac.Equal(st.got[:], st.mac.Sum(st.sum[:0]))
}

// claimsOf decodes the claims of the token signed accepted into claims, and reports
// whether they are valid at now.
func (st *macState) claimsOf(now time.Time, claims *tokenClaims) bool {
	body, err := base64.RawURLEncoding.AppendDecode(st.claims[:0], st.buf[st.payloadAt:])
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
