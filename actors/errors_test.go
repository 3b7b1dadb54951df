package actors

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorIsComparesCodes(t *testing.T) {
	refusal := &Error{Code: CodeSoldOut, Message: "from a reply"}
	cases := []struct {
		target error
		want   bool
	}{
		{ErrSoldOut, true},
		{&Error{Code: CodeSoldOut}, true},
		{fmt.Errorf("wrapped: %w", ErrSoldOut), true},
		{ErrSeatUnavailable, false},
		{errExpired, false},
		{errors.New("sold out"), false},
	}
	for _, c := range cases {
		if got := refusal.Is(c.target); got != c.want {
			t.Errorf("Is(%v) = %v, want %v", c.target, got, c.want)
		}
	}
}

func TestAsError(t *testing.T) {
	e := Unavailable("x")
	for _, err := range []error{e, fmt.Errorf("wrapped: %w", e)} {
		if got, ok := AsError(err); !ok || got != e {
			t.Errorf("AsError(%v) = %v, %v; want the error itself", err, got, ok)
		}
	}
	if got, ok := AsError(ErrFenced); !ok || got.Code != CodeUnavailable {
		t.Errorf("AsError(ErrFenced) = %v, %v; want UNAVAILABLE", got, ok)
	}
	if _, ok := AsError(errors.New("plain")); ok {
		t.Error("AsError(plain error) reports a domain error")
	}
}
