package http

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
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
	header, rest, ok := strings.Cut(raw, ".")
	if !ok || header != issuedHeader {
		return false
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig, '.') >= 0 {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(raw[:len(header)+1+len(payload)]))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return false
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(body, claims) != nil {
		return false
	}
	v := jwt.NewValidator(jwt.WithExpirationRequired(), jwt.WithTimeFunc(func() time.Time { return now }))
	return v.Validate(claims) == nil
}
