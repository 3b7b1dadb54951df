package chaos

import (
	"errors"
	"testing"
)

func TestPortTakenRetriesOnlyAFreshNodesBindFailures(t *testing.T) {
	bind := errors.New("server exited before it was ready (exit status 1); log x:\nticketblitz: listen on 127.0.0.1:27174: listen tcp 127.0.0.1:27174: bind: address already in use")
	other := errors.New("server exited before it was ready (exit status 1); log x:\nticketblitz: postgres: connection refused")
	for _, tc := range []struct {
		name    string
		err     error
		fresh   bool
		attempt int
		want    bool
	}{
		{"started", nil, true, 1, false},
		{"port taken on a first start", bind, true, 1, true},
		{"port taken again", bind, true, firstStartAttempts - 1, true},
		{"attempts used up", bind, true, firstStartAttempts, false},
		{"a restart keeps its addresses", bind, false, 1, false},
		{"another failure", other, true, 1, false},
	} {
		if got := portTaken(tc.err, tc.fresh, tc.attempt); got != tc.want {
			t.Errorf("%s: portTaken = %v, want %v", tc.name, got, tc.want)
		}
	}
}
