package bareref

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func token(t *testing.T, secret, sub string, method jwt.SigningMethod, exp time.Time) string {
	t.Helper()
	var key any = []byte(secret)
	if method == jwt.SigningMethodNone {
		key = jwt.UnsafeAllowNoneSignatureType
	}
	s, err := jwt.NewWithClaims(method, jwt.MapClaims{"sub": sub, "exp": exp.Unix()}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunAnswersFromTheMapAndChecksTokens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []byte("s3cret"), stdinR, outW) }()
	var line [128]byte
	n, err := outR.Read(line[:])
	if err != nil {
		t.Fatal(err)
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(string(line[:n])), readyPrefix)
	if !ok {
		t.Fatalf("first line %q", line[:n])
	}
	post := func(tok, body string) (int, ticket) {
		req, _ := http.NewRequest(http.MethodPost, base+Path, bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tk ticket
		json.NewDecoder(resp.Body).Decode(&tk)
		return resp.StatusCode, tk
	}
	hour := time.Now().Add(time.Hour)
	body := `{"section_id":"hot","quantity":2}`
	if st, tk := post(token(t, "s3cret", "alice", jwt.SigningMethodHS256, hour), body); st != 201 || tk.UserID != "alice" || tk.Position != 1 || tk.Quantity != 2 {
		t.Errorf("alice's first answer %d %+v", st, tk)
	}
	if st, tk := post(token(t, "s3cret", "bob", jwt.SigningMethodHS256, hour), body); st != 201 || tk.Position != 2 {
		t.Errorf("bob's answer %d %+v", st, tk)
	}
	if st, tk := post(token(t, "s3cret", "alice", jwt.SigningMethodHS256, hour), body); st != 200 || tk.Position != 1 {
		t.Errorf("alice again: %d %+v, want 200 from the map", st, tk)
	}
	for name, tok := range map[string]string{
		"no token":     "",
		"wrong secret": token(t, "other", "carol", jwt.SigningMethodHS256, hour),
		"expired":      token(t, "s3cret", "carol", jwt.SigningMethodHS256, time.Now().Add(-time.Minute)),
		"unsigned":     token(t, "s3cret", "carol", jwt.SigningMethodNone, hour),
		"another HMAC": token(t, "s3cret", "carol", jwt.SigningMethodHS512, hour),
	} {
		if st, _ := post(tok, body); st != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, st)
		}
	}
	if st, _ := post(token(t, "s3cret", "dave", jwt.SigningMethodHS256, hour), `{"section_id":`); st != http.StatusBadRequest {
		t.Errorf("bad JSON: status %d, want 400", st)
	}
	stdinW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop when its stdin closed")
	}
}
