package http

import "errors"

// findError is errors.As for a concrete error type T, without its reflection on the
// chains handlers return (a refusal wrapping a domain error): it walks single-error
// Unwrap itself, and hands the rest of the chain to errors.As at the first error with
// an As method or several wrapped errors. It finds what errors.As finds.
func findError[T error](err error) (T, bool) {
	for err != nil {
		if e, ok := err.(T); ok {
			return e, true
		}
		switch x := err.(type) {
		case interface{ As(any) bool }, interface{ Unwrap() []error }:
			var e T
			ok := errors.As(err, &e)
			return e, ok
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		default:
			err = nil
		}
	}
	var zero T
	return zero, false
}
