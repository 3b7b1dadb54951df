package main

import (
	"context"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// signedWith reports whether tok is an HS256 token signed with secret.
func signedWith(tok, secret string) bool {
	_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}))
	return err == nil
}

func TestTokenSecretFlagBeatsVariableBeatsDevSecret(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"development secret", nil, nil, devJWTSecret},
		{"variable", nil, map[string]string{"TICKETBLITZ_JWT_SECRET": "from-env"}, "from-env"},
		{"flag", []string{"--jwt-secret", "from-flag"}, map[string]string{"TICKETBLITZ_JWT_SECRET": "from-env"}, "from-flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			args := append([]string{"token", "--user", "u1"}, tc.args...)
			if err := run(context.Background(), args, func(k string) string { return tc.env[k] }, &out); err != nil {
				t.Fatal(err)
			}
			words := strings.Fields(out.String())
			tok := words[len(words)-1]
			if !signedWith(tok, tc.want) {
				t.Errorf("token %s is not signed with %q", tok, tc.want)
			}
		})
	}
}

func TestClusterStatusTokenUsesTheConfiguredSecret(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"development secret", nil, nil, devJWTSecret},
		{"variable", nil, map[string]string{"TICKETBLITZ_JWT_SECRET": "from-env"}, "from-env"},
		{"flag", []string{"--jwt-secret", "from-flag"}, map[string]string{"TICKETBLITZ_JWT_SECRET": "from-env"}, "from-flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
				tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				if !signedWith(tok, tc.want) {
					nethttp.Error(w, "bad token", nethttp.StatusUnauthorized)
					return
				}
				fmt.Fprint(w, `{"node":"n1","members":[{"name":"n1","address":"127.0.0.1:7946","status":"alive","sections":3}]}`)
			}))
			defer node.Close()
			var out strings.Builder
			args := append([]string{"cluster", "status", "--url", node.URL}, tc.args...)
			if err := run(context.Background(), args, func(k string) string { return tc.env[k] }, &out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "node n1 sees 1 members") {
				t.Errorf("output:\n%s", out.String())
			}
		})
	}
}

func TestMigrateBadVariableNamesIt(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"migrate"}, func(k string) string {
		if k == "TICKETBLITZ_POSTGRES_POOL" {
			return "lots"
		}
		return ""
	}, &out)
	if err == nil || !strings.Contains(err.Error(), "TICKETBLITZ_POSTGRES_POOL") {
		t.Fatalf("err = %v, want one naming TICKETBLITZ_POSTGRES_POOL", err)
	}
}
