package http

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// statusOf is the one table from domain error code to HTTP status (docs/api.md). A code that
// is not in it is treated as an internal failure.
func statusOf(code actors.Code) (status int, known bool) {
	switch code {
	case actors.CodeValidation:
		return fiber.StatusBadRequest, true
	case actors.CodeUnauthenticated:
		return fiber.StatusUnauthorized, true
	case actors.CodePaymentDeclined:
		return fiber.StatusPaymentRequired, true
	case actors.CodeForbidden, actors.CodeQueueRequired:
		return fiber.StatusForbidden, true
	case actors.CodeNotFound:
		return fiber.StatusNotFound, true
	case actors.CodeSeatUnavailable, actors.CodeSoldOut, actors.CodeHoldNotActive, actors.CodeIdempotencyConflict:
		return fiber.StatusConflict, true
	case actors.CodeHoldExpired:
		return fiber.StatusGone, true
	case actors.CodeLimitExceeded:
		return fiber.StatusUnprocessableEntity, true
	case actors.CodeRateLimited:
		return fiber.StatusTooManyRequests, true
	case actors.CodeUnavailable:
		return fiber.StatusServiceUnavailable, true
	case actors.CodeNotRecorded:
		return fiber.StatusNotImplemented, true
	}
	return fiber.StatusServiceUnavailable, false
}

// unavailableRetryAfter is the Retry-After of every 503.
const unavailableRetryAfter = time.Second

// retryAfterError carries how long a refused client should wait.
type retryAfterError struct {
	err   *actors.Error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter is how long the client should wait. A RATE_LIMITED error of any layer that
// has this method (persistence's, from a join charged in its own step) sets Retry-After.
func (e *retryAfterError) RetryAfter() time.Duration { return e.after }

// rateLimited is the error of a request the rate limiter refused.
func rateLimited(after time.Duration) error {
	return &retryAfterError{err: actors.ErrRateLimited, after: after}
}

// retryAfterSeconds rounds up to whole seconds, at least one.
func retryAfterSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		return 1
	}
	return s
}

// answer is what the client is told about a failed request.
type answer struct {
	status     int
	err        *actors.Error
	retryAfter time.Duration // zero: no Retry-After header
	internal   bool          // not a domain error: logged as an error
	extra      map[string]any
}

// classify maps any error a handler returns onto the client's answer. Domain errors go
// through statusOf; Fiber's own errors (no route, body too large) become their nearest
// code; everything else is an internal failure, answered as a retryable 503.
func classify(err error) answer {
	if nr, ok := findError[*notReadyError](err); ok {
		return answer{
			status:     fiber.StatusServiceUnavailable,
			err:        actors.Unavailable("not ready: " + strings.Join(nr.failing, ", ")),
			retryAfter: unavailableRetryAfter,
			extra:      map[string]any{"checks": nr.checks, "failing": nr.failing},
		}
	}
	if e, ok := domainError(err); ok {
		status, known := statusOf(e.Code)
		if !known {
			return internalAnswer()
		}
		a := answer{status: status, err: e}
		switch e.Code {
		case actors.CodeRateLimited:
			a.retryAfter = time.Second
			var ra interface{ RetryAfter() time.Duration }
			if errors.As(err, &ra) && ra.RetryAfter() > 0 {
				a.retryAfter = ra.RetryAfter()
			}
		case actors.CodeUnavailable:
			a.retryAfter = unavailableRetryAfter
		}
		return a
	}
	if fe, ok := findError[*fiber.Error](err); ok {
		switch {
		case fe.Code == fiber.StatusNotFound || fe.Code == fiber.StatusMethodNotAllowed || fe.Code == fiber.StatusNotImplemented:
			return answer{status: fiber.StatusNotFound, err: &actors.Error{Code: actors.CodeNotFound, Message: "no such route"}}
		case fe.Code == fiber.StatusRequestEntityTooLarge:
			return answer{status: fiber.StatusBadRequest, err: actors.Invalid("body", "too large")}
		case fe.Code == fiber.StatusRequestHeaderFieldsTooLarge:
			return answer{status: fiber.StatusBadRequest, err: actors.Invalid("headers", "too large")}
		case fe.Code >= 400 && fe.Code < 500 && fe.Code != fiber.StatusRequestTimeout:
			return answer{status: fiber.StatusBadRequest, err: actors.Invalid("request", fe.Message)}
		}
	}
	return internalAnswer()
}

// domainError is actors.AsError, with the domain error found in the chain without
// reflection first.
func domainError(err error) (*actors.Error, bool) {
	if e, ok := findError[*actors.Error](err); ok {
		return e, true
	}
	return actors.AsError(err)
}

func internalAnswer() answer {
	return answer{status: fiber.StatusServiceUnavailable, err: actors.ErrUnavailable, retryAfter: unavailableRetryAfter, internal: true}
}

// errorJSON is every error body: {"error":{"code","message","details"}}.
type errorJSON struct {
	Error errorPayloadJSON `json:"error"`
}

type errorPayloadJSON struct {
	Code    actors.Code    `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// detailsOf builds the details object a client can act on; it is never null.
func detailsOf(a answer) map[string]any {
	d := map[string]any{}
	switch a.err.Code {
	case actors.CodeValidation:
		for field, problem := range a.err.Fields {
			d[field] = problem
		}
	case actors.CodeSeatUnavailable:
		d["seats"] = nonNilStrings(a.err.Seats)
	}
	for k, v := range a.extra {
		d[k] = v
	}
	if a.retryAfter > 0 {
		d["retry_after_seconds"] = retryAfterSeconds(a.retryAfter)
	}
	return d
}

// handleError answers a failed request and logs it, once, with its request id. It is
// Fiber's ErrorHandler too, for failures raised before routing (a body too large).
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	a := classify(err)
	id := s.requestIDOf(c)
	level, msg := zap.DebugLevel, "request refused"
	switch {
	case a.internal:
		level, msg = zap.ErrorLevel, "request failed"
	case a.err.Code == actors.CodeUnavailable:
		level, msg = zap.WarnLevel, "request refused: unavailable"
	}
	// Check first: most refusals (sold out, seat taken) are logged at debug, which is
	// usually off, and their fields would be built for nothing.
	if ce := s.log.Check(level, msg); ce != nil {
		fields := []zap.Field{
			zap.String("request_id", id),
			zap.String("method", methodLabel(c.Method())),
			zap.String("route", c.Route().Path),
			zap.Int("status", a.status),
			zap.Error(err),
		}
		if level == zap.DebugLevel {
			fields = append(fields, zap.String("code", string(a.err.Code)))
		}
		ce.Write(fields...)
	}
	if a.retryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(retryAfterSeconds(a.retryAfter)))
	}
	if a.err.Code == actors.CodeUnauthenticated {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="ticketblitz"`)
	}
	message := a.err.Message
	if message == "" {
		message = strings.ToLower(strings.ReplaceAll(string(a.err.Code), "_", " "))
	}
	body := errorJSON{Error: errorPayloadJSON{
		Code:    a.err.Code,
		Message: message,
		Details: detailsOf(a),
	}}
	var room [256]byte // copied into the response's own (pooled) body buffer
	if raw, ok := appendErrorBody(room[:0], body); ok {
		res := c.Status(a.status).Response()
		res.Header.SetContentType(fiber.MIMEApplicationJSON)
		res.SetBody(raw)
		return nil
	}
	return c.Status(a.status).JSON(body)
}

func notFound(what string) error {
	return &actors.Error{Code: actors.CodeNotFound, Message: what}
}
