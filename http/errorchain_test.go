package http

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// asFiber is an error whose As method answers for a *fiber.Error.
type asFiber struct{ fe *fiber.Error }

func (a asFiber) Error() string { return "as fiber" }
func (a asFiber) As(target any) bool {
	if p, ok := target.(**fiber.Error); ok {
		*p = a.fe
		return true
	}
	return false
}

// TestFindErrorIsErrorsAs: findError finds what errors.As finds, the same error, on
// chains of every shape (wrapped once or twice, joined, an As method, none).
func TestFindErrorIsErrorsAs(t *testing.T) {
	domain := &actors.Error{Code: actors.CodeSoldOut}
	fe := fiber.NewError(fiber.StatusNotFound, "no route")
	chains := map[string]error{
		"nil":              nil,
		"domain":           domain,
		"hold refusal":     &holdError{eventID: "e", sectionID: "s", err: domain},
		"wrapped twice":    fmt.Errorf("outer: %w", &holdError{err: fmt.Errorf("inner: %w", domain)}),
		"fiber":            fe,
		"fiber wrapped":    fmt.Errorf("x: %w", fe),
		"joined":           errors.Join(errors.New("a"), fmt.Errorf("b: %w", domain), fe),
		"as method":        fmt.Errorf("x: %w", asFiber{fe}),
		"plain":            errors.New("plain"),
		"not ready":        fmt.Errorf("x: %w", &notReadyError{failing: []string{"db"}}),
		"rate limited":     rateLimited(0),
		"fenced":           actors.ErrFenced,
		"wrapped, nothing": fmt.Errorf("x: %w", errors.New("y")),
	}
	for name, err := range chains {
		var wantD *actors.Error
		okD := errors.As(err, &wantD)
		if got, ok := findError[*actors.Error](err); ok != okD || got != wantD {
			t.Errorf("%s: domain error %v %v, errors.As %v %v", name, got, ok, wantD, okD)
		}
		var wantF *fiber.Error
		okF := errors.As(err, &wantF)
		if got, ok := findError[*fiber.Error](err); ok != okF || got != wantF {
			t.Errorf("%s: fiber error %v %v, errors.As %v %v", name, got, ok, wantF, okF)
		}
		var wantN *notReadyError
		okN := errors.As(err, &wantN)
		if got, ok := findError[*notReadyError](err); ok != okN || got != wantN {
			t.Errorf("%s: not ready %v %v, errors.As %v %v", name, got, ok, wantN, okN)
		}
		d1, ok1 := domainError(err)
		d2, ok2 := actors.AsError(err)
		if ok1 != ok2 || !reflect.DeepEqual(d1, d2) {
			t.Errorf("%s: domainError %v %v, actors.AsError %v %v", name, d1, ok1, d2, ok2)
		}
	}
}

// TestValidUserIDIsThePattern: validUserID accepts exactly what userIDPattern's regexp
// matches.
func TestValidUserIDIsThePattern(t *testing.T) {
	re := regexp.MustCompile(userIDPattern)
	long := "a123456789b123456789c123456789d123456789e123456789f123456789g123"
	cases := []string{"", "a", "fan1", "Fan_1.x@y-z", long, long + "4", long + "45", "a b", "a\n", "é",
		"a\x00", "\xff", "fan/1", "fan+1", "-", "@", ".", "_", "ABCxyz09"}
	alphabet := []byte("aZ09_.@-/ +é\x00\xffñ\n:")
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(70))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		if got, want := validUserID(c), re.MatchString(c); got != want {
			t.Errorf("validUserID(%q) = %v, the pattern says %v", c, got, want)
		}
	}
}
