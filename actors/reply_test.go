package actors

import (
	"reflect"
	"testing"
)

// TestReplyErrRoundTrip: every error code travels through a Reply and back unchanged,
// and no two codes share a wire code.
func TestReplyErrRoundTrip(t *testing.T) {
	if len(protoToCode) != len(codeToProto) {
		t.Fatalf("%d wire codes for %d codes", len(protoToCode), len(codeToProto))
	}
	for c := range codeToProto {
		want := &Error{Code: c, Message: "why", Seats: []string{"A-1"}, Fields: map[string]string{"f": "p"}}
		got := ErrorReply(want).Err()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: came back as %#v", c, got)
		}
	}
	if err := (&Reply{Code: ErrorCode(999)}).Err(); err == nil {
		t.Error("an unknown wire code reads as no error")
	} else if e, _ := AsError(err); e.Code != CodeUnavailable {
		t.Errorf("an unknown wire code reads as %v", err)
	}
	if err := (&Reply{}).Err(); err != nil {
		t.Errorf("no code reads as %v", err)
	}
}
