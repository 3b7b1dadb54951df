package http

import (
	"encoding/json"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// decodeClaims decodes a token's claims into claims as json.Unmarshal does. The claims
// IssueToken writes (role, sub, exp, iat, and iss, jti or nbf when present: plain
// strings and whole seconds) are read directly; anything else goes to json.Unmarshal.
func decodeClaims(body []byte, claims *tokenClaims) error {
	before := *claims
	if scanClaims(body, claims) {
		return nil
	}
	*claims = before
	return json.Unmarshal(body, claims)
}

// scanClaims fills claims from a body of the plain shape and reports whether it could:
// one object, each known key at most once and spelt exactly so, strings of printable
// ASCII without escapes and times of at most 15 digits without sign, fraction or
// exponent. On false, claims is partly filled.
func scanClaims(body []byte, claims *tokenClaims) bool {
	p := plainScanner{s: body}
	return p.object(func(key []byte) (int, bool) {
		switch string(key) {
		case "role":
			return 0, p.claimString(&claims.Role)
		case "iss":
			return 1, p.claimString(&claims.Issuer)
		case "sub":
			return 2, p.claimString(&claims.Subject)
		case "jti":
			return 3, p.claimString(&claims.ID)
		case "exp":
			return 4, p.claimTime(&claims.ExpiresAt)
		case "nbf":
			return 5, p.claimTime(&claims.NotBefore)
		case "iat":
			return 6, p.claimTime(&claims.IssuedAt)
		}
		return 0, false
	})
}

func (p *plainScanner) claimString(dst *string) bool {
	v, ok := p.str()
	if ok {
		*dst = string(v)
	}
	return ok
}

// claimTime reads whole seconds into the NumericDate json.Unmarshal would make of them.
func (p *plainScanner) claimTime(dst **jwt.NumericDate) bool {
	s, ok := p.unsigned(15)
	if ok {
		*dst = jwt.NewNumericDate(time.Unix(s, 0))
	}
	return ok
}
