package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// headerIdempotencyKey names the optional header that makes a hold or confirm retryable.
const headerIdempotencyKey = "Idempotency-Key"

// maxIdempotencyKeyLen bounds an Idempotency-Key.
const maxIdempotencyKeyLen = 128

// userIDPattern is what a user id (a token's subject, a dev token request's user_id)
// may be; validUserID checks it.
const userIDPattern = `^[A-Za-z0-9_.@-]{1,64}$`

// validUserID reports whether id matches userIDPattern. It is a loop over the bytes: the
// pattern's regexp was a third of a first-seen token's check (every fan's first hold
// of a rush). Every byte of a match is ASCII, so bytes and runes count alike.
func validUserID(id string) bool {
	if len(id) < 1 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		ok := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			b == '_' || b == '.' || b == '@' || b == '-'
		if !ok {
			return false
		}
	}
	return true
}

// decoder turns request bodies into validated values. Every failure is a
// VALIDATION_FAILED *actors.Error whose Fields name each bad field ("body" for the
// document as a whole).
type decoder struct {
	v *validator.Validate
}

func newDecoder() (*decoder, error) {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	custom := map[string]func(string) bool{
		"user_id": validUserID,
	}
	for tag, ok := range custom {
		if err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return ok(fl.Field().String()) }); err != nil {
			return nil, fmt.Errorf("register validation %s: %w", tag, err)
		}
	}
	return &decoder{v: v}, nil
}

// decodeJSON reads exactly one JSON object into dst. Unknown fields are ignored, so
// clients may send fields a later version understands.
func decodeJSON(body []byte, dst any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return actors.Invalid("body", "is required")
	}
	if trimmed[0] != '{' {
		return actors.Invalid("body", "must be a JSON object")
	}
	// json.Unmarshal accepts exactly the bodies the decoder below accepts (one value,
	// then only whitespace) without the decoder's buffers; the decoder runs only for a
	// body that fails, to name its problem.
	if json.Unmarshal(trimmed, dst) == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return actors.Invalid("body", "must hold a single JSON object")
	}
	return nil
}

func jsonProblem(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return actors.Invalid(te.Field, "must be "+jsonTypeName(te.Type))
	}
	return actors.Invalid("body", "malformed JSON")
}

func jsonTypeName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "valid"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "valid"
}

// fieldProblems collects one problem per field; the first one found wins.
type fieldProblems map[string]string

func (f fieldProblems) add(field, problem string) {
	if _, ok := f[field]; !ok {
		f[field] = problem
	}
}

func (f fieldProblems) err() error {
	if len(f) == 0 {
		return nil
	}
	return actors.InvalidFields(map[string]string(f))
}

// structFields runs the struct tags and names each failing field by its JSON path
// ("sections[0].rows[2].label").
func (d *decoder) structFields(v any) fieldProblems {
	fields := fieldProblems{}
	err := d.v.Struct(v)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		if err != nil {
			fields.add("body", "is invalid")
		}
		return fields
	}
	for _, fe := range verrs {
		ns := fe.Namespace()
		if _, rest, ok := strings.Cut(ns, "."); ok {
			ns = rest
		}
		fields.add(ns, problemOf(fe))
	}
	return fields
}

func problemOf(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min", "max":
		bound := "at least"
		if fe.Tag() == "max" {
			bound = "at most"
		}
		switch fe.Kind() {
		case reflect.String:
			return fmt.Sprintf("must be %s %s characters long", bound, fe.Param())
		case reflect.Slice, reflect.Array, reflect.Map:
			return fmt.Sprintf("must have %s %s items", bound, fe.Param())
		}
		return fmt.Sprintf("must be %s %s", bound, fe.Param())
	case "oneof":
		return "must be one of " + strings.Join(strings.Fields(fe.Param()), ", ")
	case "user_id":
		return "must be 1 to 64 characters of A-Z, a-z, 0-9, _, ., @ and -"
	case "printascii":
		return "must be printable ASCII"
	}
	return "is invalid"
}

// idempotencyKey returns the optional Idempotency-Key header, copied out of Fiber's
// buffers.
func idempotencyKey(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	if len(raw) > maxIdempotencyKeyLen {
		return "", actors.Invalid(headerIdempotencyKey, fmt.Sprintf("must be at most %d characters", maxIdempotencyKeyLen))
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < 0x20 || raw[i] > 0x7e {
			return "", actors.Invalid(headerIdempotencyKey, "must be printable ASCII")
		}
	}
	return strings.Clone(raw), nil
}

// pathID returns a path parameter copied out of Fiber's buffers. An id that cannot
// name anything is NOT_FOUND without asking the catalog.
func pathID(raw string, valid func(string) bool, what string) (string, error) {
	if !valid(raw) {
		return "", notFound(what + " not found")
	}
	return strings.Clone(raw), nil
}

// joinValidation merges the VALIDATION_FAILED errors of a request's parts (header and
// body) so that the client hears about every bad field at once. Any other error wins.
// A request without problems allocates nothing here (most requests of a rush).
func joinValidation(errs ...error) error {
	var merged fieldProblems
	for _, err := range errs {
		if err == nil {
			continue
		}
		e, ok := actors.AsError(err)
		if !ok || e.Code != actors.CodeValidation {
			return err
		}
		if merged == nil {
			merged = fieldProblems{}
		}
		for field, problem := range e.Fields {
			merged.add(field, problem)
		}
	}
	return merged.err()
}

// requestBody returns the body as sent. Compressed bodies are refused rather than
// inflated: BodyLimit bounds what arrives, and inflating would let a small body grow
// without bound.
func requestBody(c *fiber.Ctx) ([]byte, error) {
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		return nil, actors.Invalid(fiber.HeaderContentEncoding, "not supported; send the body uncompressed")
	}
	return c.BodyRaw(), nil
}
