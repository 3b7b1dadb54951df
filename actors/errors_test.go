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

// TestReplyErrRoundTrips: a refusal read back from its reply is the refusal sent, the
// sentinel itself when the reply carries exactly a sentinel, a new value otherwise.
func TestReplyErrRoundTrips(t *testing.T) {
	cases := []*Error{
		ErrSoldOut, ErrHoldExpired, ErrOrderCancelled, ErrPaymentDeclined,
		SeatsUnavailable([]string{"A-1"}), Invalid("quantity", "must be positive"),
		{Code: CodeSoldOut, Message: "another text"}, Unavailable("retry"),
	}
	for _, sent := range cases {
		got := ErrorReply(sent).Err()
		e, ok := got.(*Error)
		if !ok {
			t.Fatalf("%v came back as %T", sent, got)
		}
		if e.Code != sent.Code || e.Message != sent.Message || len(e.Seats) != len(sent.Seats) || len(e.Fields) != len(sent.Fields) {
			t.Errorf("%+v came back as %+v", sent, e)
		}
		plain := len(sent.Seats) == 0 && len(sent.Fields) == 0 && plainRefusals[codeToProto[sent.Code]] != nil &&
			plainRefusals[codeToProto[sent.Code]].Message == sent.Message
		if plain != (e == plainRefusals[codeToProto[sent.Code]]) {
			t.Errorf("%+v: sentinel shared %v, want %v", sent, !plain, plain)
		}
	}
	if ErrorReply(ErrSoldOut).Err() != ErrSoldOut {
		t.Error("SOLD_OUT did not come back as its sentinel")
	}
}
