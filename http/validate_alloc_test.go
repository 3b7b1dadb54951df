package http

import (
	"errors"
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestJoinValidationAllocatesNothingWithoutProblems: most requests of a rush have no bad
// field, and merging their parts' problems must not cost an allocation.
func TestJoinValidationAllocatesNothingWithoutProblems(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		if err := joinValidation(nil, nil); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("joinValidation(nil, nil) allocates %.0f times, want 0", n)
	}
}

// TestJoinValidationMerges: the fields of every VALIDATION_FAILED part are reported
// together (the first problem of a field wins); any other error is returned as it is.
func TestJoinValidationMerges(t *testing.T) {
	err := joinValidation(actors.Invalid("Idempotency-Key", "must be printable ASCII"), nil,
		actors.InvalidFields(map[string]string{"seats": "is required", "Idempotency-Key": "later"}))
	e, ok := actors.AsError(err)
	if !ok || e.Code != actors.CodeValidation {
		t.Fatalf("got %v, want VALIDATION_FAILED", err)
	}
	want := map[string]string{"Idempotency-Key": "must be printable ASCII", "seats": "is required"}
	if len(e.Fields) != len(want) {
		t.Fatalf("fields %v, want %v", e.Fields, want)
	}
	for k, v := range want {
		if e.Fields[k] != v {
			t.Errorf("field %s: %q, want %q", k, e.Fields[k], v)
		}
	}
	other := errors.New("store down")
	if got := joinValidation(actors.Invalid("seats", "bad"), other); got != other {
		t.Errorf("got %v, want the other error as it is", got)
	}
	if got := joinValidation(actors.InvalidFields(map[string]string{})); got != nil {
		t.Errorf("no fields: got %v, want nil", got)
	}
}
