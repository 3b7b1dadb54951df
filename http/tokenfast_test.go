package http

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"reflect"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// hs256 signs header and payload (JSON) as given, so that tests can build tokens the
// jwt package would not write.
func hs256(secret []byte, header, payload string) string {
	enc := base64.RawURLEncoding
	text := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(text))
	return text + "." + enc.EncodeToString(mac.Sum(nil))
}

// The fast check accepts the tokens IssueToken signs, and accepts nothing the jwt
// parser would refuse, with the same claims.
func TestVerifyIssuedAgreesWithParser(t *testing.T) {
	issued, _, err := IssueToken(testSecret, "alice", RoleAdmin, time.Hour, testNow)
	if err != nil {
		t.Fatal(err)
	}
	expired, _, _ := IssueToken(testSecret, "alice", "", time.Hour, testNow.Add(-2*time.Hour))
	other, _, _ := IssueToken([]byte("other"), "alice", "", time.Hour, testNow)
	hdr := `{"alg":"HS256","typ":"JWT"}`
	tests := []struct {
		name  string
		token string
		fast  bool
	}{
		{"issued", issued, true},
		{"issued fan", token(t, "bob", ""), true},
		{"expired", expired, false},
		{"other secret", other, false},
		{"no exp", hs256(testSecret, hdr, `{"sub":"bob"}`), false},
		{"exp as string", hs256(testSecret, hdr, `{"sub":"bob","exp":"soon"}`), false},
		{"nbf ahead", hs256(testSecret, hdr, `{"sub":"bob","exp":9999999999,"nbf":9999999000}`), false},
		{"nbf passed", hs256(testSecret, hdr, `{"sub":"bob","exp":9999999999,"nbf":1000}`), true},
		{"trailing data in claims", hs256(testSecret, hdr, `{"sub":"bob","exp":9999999999} x`), false},
		{"other header order", hs256(testSecret, `{"typ":"JWT","alg":"HS256"}`, `{"sub":"bob","exp":9999999999}`), false},
		{"alg none", hs256(testSecret, `{"alg":"none","typ":"JWT"}`, `{"sub":"bob","exp":9999999999}`), false},
		{"four segments", issued + ".x", false},
		{"two segments", issuedHeader + ".e30", false},
		{"bad signature base64", issued[:len(issued)-2] + "!!", false},
		{"truncated signature", issued[:len(issued)-4], false},
		{"garbage", "not.a.jwt", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fast tokenClaims
			ok := verifyIssued(testSecret, tt.token, testNow, &fast)
			if ok != tt.fast {
				t.Fatalf("fast check = %v, want %v", ok, tt.fast)
			}
			var slow tokenClaims
			_, err := jwt.ParseWithClaims(tt.token, &slow,
				func(*jwt.Token) (any, error) { return testSecret, nil },
				jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(),
				jwt.WithTimeFunc(func() time.Time { return testNow }))
			if ok && err != nil {
				t.Fatalf("fast check accepted what the parser refuses: %v", err)
			}
			if ok && !reflect.DeepEqual(fast, slow) {
				t.Errorf("claims differ: fast %+v, parser %+v", fast, slow)
			}
		})
	}
}

// The pooled check keeps its claims' validator with its HMAC state and gives it each
// call's time: a token is judged at the time of the call that checks it, whatever the
// state checked before, and the check makes no validator (three allocations each).
func TestVerifyIssuedPooledValidator(t *testing.T) {
	macs := newMACPool(testSecret)
	issued, _, err := IssueToken(testSecret, "alice", "", time.Hour, testNow)
	if err != nil {
		t.Fatal(err)
	}
	var claims tokenClaims
	for _, c := range []struct {
		at   time.Time
		want bool
	}{{testNow, true}, {testNow.Add(2 * time.Hour), false}, {testNow.Add(time.Minute), true}, {testNow.Add(time.Hour + time.Second), false}} {
		if got := verifyIssuedWith(macs, testSecret, issued, c.at, &claims); got != c.want {
			t.Errorf("checked at %v: %v, want %v", c.at, got, c.want)
		}
	}
	if raceBuild {
		return // under the race detector a sync.Pool drops what it is given at random
	}
	got := testing.AllocsPerRun(100, func() {
		if !verifyIssuedWith(macs, testSecret, issued, testNow, &claims) {
			t.Fatal("refused")
		}
	})
	if got > 6 { // 9 with a validator made for each check
		t.Errorf("%.0f allocations a check, want at most 6", got)
	}
}
