package http

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestHoldErrorReadsAsWrapped: a hold's refusal says and unwraps to what fmt.Errorf's
// wrapping did.
func TestHoldErrorReadsAsWrapped(t *testing.T) {
	err := error(&holdError{eventID: "ev_1", sectionID: "A", err: actors.ErrSoldOut})
	want := fmt.Errorf("hold in %s/%s: %w", "ev_1", "A", actors.ErrSoldOut)
	if err.Error() != want.Error() {
		t.Fatalf("%q, want %q", err.Error(), want.Error())
	}
	if !errors.Is(err, actors.ErrSoldOut) {
		t.Fatal("does not unwrap to its refusal")
	}
	if e, ok := actors.AsError(err); !ok || e.Code != actors.CodeSoldOut {
		t.Fatalf("reads as %v", e)
	}
}
