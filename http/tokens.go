package http

import (
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
)

// tokenClaims are the claims of a TicketBlitz bearer token: sub, role, exp (and iat).
type tokenClaims struct {
	Role string `json:"role,omitempty"`
	jwt.RegisteredClaims
}

// IssueToken signs an HS256 token for userID with role (empty means fan) that expires
// ttl after now. It returns the token and its expiry as the token states it (whole
// seconds, UTC).
func IssueToken(secret []byte, userID, role string, ttl time.Duration, now time.Time) (token string, expiresAt time.Time, err error) {
	if len(secret) == 0 {
		return "", time.Time{}, errors.New("issue token: empty secret")
	}
	if !validUserID(userID) {
		return "", time.Time{}, fmt.Errorf("issue token: user id %q must match %s", userID, userIDPattern)
	}
	if role == "" {
		role = RoleFan
	}
	if role != RoleFan && role != RoleAdmin {
		return "", time.Time{}, fmt.Errorf("issue token: role %q must be %s or %s", role, RoleFan, RoleAdmin)
	}
	if ttl <= 0 {
		return "", time.Time{}, fmt.Errorf("issue token: ttl %s must be positive", ttl)
	}
	exp := jwt.NewNumericDate(now.Add(ttl))
	claims := tokenClaims{
		Role: role,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: exp,
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue token: sign: %w", err)
	}
	return signed, exp.UTC(), nil
}

// parseToken checks an HS256 token and returns its principal. Any problem is
// UNAUTHENTICATED.
func parseToken(secret []byte, raw string, now func() time.Time) (principal, error) {
	v, err := verifyToken(secret, raw, now)
	return v.p, err
}

// verifyToken checks an HS256 token and returns its principal and validity window. Any
// problem is UNAUTHENTICATED.
func verifyToken(secret []byte, raw string, now func() time.Time) (verifiedToken, error) {
	return verifyTokenWith(nil, secret, raw, now)
}

// verifyTokenWith is verifyToken with HMAC states from macs (nil: a new one).
func verifyTokenWith(macs *macPool, secret []byte, raw string, now func() time.Time) (verifiedToken, error) {
	var claims tokenClaims
	if !verifyIssuedWith(macs, secret, raw, now(), &claims) {
		claims = tokenClaims{}
		_, err := jwt.ParseWithClaims(raw, &claims,
			func(*jwt.Token) (any, error) { return secret, nil },
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithTimeFunc(now),
		)
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			return verifiedToken{}, unauthenticated("token expired")
		case err != nil:
			return verifiedToken{}, unauthenticated("invalid token")
		}
	}
	if !validUserID(claims.Subject) {
		return verifiedToken{}, unauthenticated("invalid token subject")
	}
	v := verifiedToken{expires: claims.ExpiresAt.Time}
	if claims.NotBefore != nil {
		v.notBefore = claims.NotBefore.Time
	}
	switch claims.Role {
	case "", RoleFan:
		v.p = principal{UserID: claims.Subject}
		return v, nil
	case RoleAdmin:
		v.p = principal{UserID: claims.Subject, Admin: true}
		return v, nil
	}
	return verifiedToken{}, unauthenticated("invalid token role")
}

// issueDevToken answers POST /api/v1/auth/token: a fan token for any valid user id,
// when dev tokens are on. It never mints admins.
func (s *Server) issueDevToken(c *fiber.Ctx) error {
	if !s.cfg.DevTokens {
		return notFound("dev tokens are disabled")
	}
	body, err := requestBody(c)
	if err != nil {
		return err
	}
	b, err := s.decode.decodeToken(body)
	if err != nil {
		return err
	}
	token, exp, err := IssueToken(s.cfg.JWTSecret, b.UserID, RoleFan, s.cfg.TokenTTL, s.cfg.Clock())
	if err != nil {
		return fmt.Errorf("dev token for %s: %w", b.UserID, err)
	}
	return c.JSON(tokenJSON{Token: token, ExpiresAt: exp})
}
