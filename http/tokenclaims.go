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
	p.space()
	if !p.take('{') {
		return false
	}
	var seen [7]bool
	p.space()
	if p.take('}') {
		return p.end()
	}
	for {
		p.space()
		key, ok := p.str()
		if !ok {
			return false
		}
		p.space()
		if !p.take(':') {
			return false
		}
		p.space()
		var field int
		switch string(key) {
		case "role":
			field, ok = 0, p.claimString(&claims.Role)
		case "iss":
			field, ok = 1, p.claimString(&claims.Issuer)
		case "sub":
			field, ok = 2, p.claimString(&claims.Subject)
		case "jti":
			field, ok = 3, p.claimString(&claims.ID)
		case "exp":
			field, ok = 4, p.claimTime(&claims.ExpiresAt)
		case "nbf":
			field, ok = 5, p.claimTime(&claims.NotBefore)
		case "iat":
			field, ok = 6, p.claimTime(&claims.IssuedAt)
		default:
			return false
		}
		if !ok || seen[field] {
			return false
		}
		seen[field] = true
		p.space()
		switch {
		case p.take(','):
		case p.take('}'):
			return p.end()
		default:
			return false
		}
	}
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
