package http

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// claimsSeeds are token claims: the shapes IssueToken writes, and their near misses.
var claimsSeeds = []string{
	`{"sub":"fan1","exp":1798761600,"iat":1798758000}`, `{"role":"admin","sub":"ops","exp":1798761600,"iat":1798758000}`,
	`{"iss":"x","sub":"a","jti":"j1","exp":1,"nbf":0,"iat":2}`, `{}`, ` { "sub" : "a" , "exp" : 5 } `,
	`{"sub":"a","exp":1.5}`, `{"sub":"a","exp":1e9}`, `{"sub":"a","exp":-1}`, `{"sub":"a","exp":"1"}`,
	`{"sub":"a","exp":null}`, `{"sub":null}`, `{"sub":"a","exp":0123}`, `{"sub":"a","exp":1234567890123456789}`,
	`{"sub":"a","aud":"b"}`, `{"sub":"a","aud":["b","c"]}`, `{"Sub":"a"}`, `{"sub":"a","sub":"b"}`,
	`{"sub":"a\u0042"}`, "{\"sub\":\"\xc3\xa9\"}", `{"sub":"a","other":1}`, `{"sub":"a"} x`, `{"sub":"a"`,
	`{"sub":"a",}`, `[]`, `null`, ``,
}

func checkClaimsMatch(t *testing.T, body []byte) {
	var got, want tokenClaims
	gotErr, wantErr := decodeClaims(body, &got), json.Unmarshal(body, &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: error %v, json.Unmarshal's %v", body, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: %+v, json.Unmarshal %+v", body, got, want)
	}
}

// TestDecodeClaimsMatchesUnmarshal: the claims are decoded as json.Unmarshal decodes
// them, and those IssueToken writes without it.
func TestDecodeClaimsMatchesUnmarshal(t *testing.T) {
	for _, body := range claimsSeeds {
		checkClaimsMatch(t, []byte(body))
	}
	for _, role := range []string{"", "admin"} {
		tok, _, err := IssueToken(testSecret, "fan1", role, time.Hour, testNow)
		if err != nil {
			t.Fatal(err)
		}
		payload := strings.Split(tok, ".")[1]
		body, err := b64(payload)
		if err != nil {
			t.Fatal(err)
		}
		var c tokenClaims
		if !scanClaims(body, &c) || c.Subject != "fan1" || c.Role == "" || c.ExpiresAt == nil || c.IssuedAt == nil {
			t.Errorf("claims %s: not read directly (%+v)", body, c)
		}
		checkClaimsMatch(t, body)
	}
}

func FuzzDecodeClaimsMatchesUnmarshal(f *testing.F) {
	for _, seed := range claimsSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(checkClaimsMatch)
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
