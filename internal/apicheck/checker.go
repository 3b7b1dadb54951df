package apicheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/ticketblitz/ticketblitz/docs"
)

// Checker checks responses against the OpenAPI document. It is safe for concurrent
// use.
type Checker struct {
	routes []Route
	model  *v3.Document

	// mu serialises the validator, whose caches are not documented as safe for
	// concurrent use.
	mu      sync.Mutex
	v       validator.Validator
	schemas schema_validation.SchemaValidator
}

// New loads and validates the embedded document. It fails when the document does not
// parse or is not valid OpenAPI 3.1.
func New() (*Checker, error) {
	return newChecker(docs.OpenAPIYAML())
}

// newChecker builds a checker of any document, for tests of the checker itself.
func newChecker(spec []byte) (*Checker, error) {
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1.") {
		return nil, fmt.Errorf("openapi document: version %q, want 3.1.x", v)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("openapi document: build model: %w", err)
	}
	v := validator.NewValidatorFromV3Model(&model.Model, config.WithFormatAssertions())
	v.SetDocument(doc)
	if ok, problems := v.ValidateDocument(); !ok {
		msgs := make([]string, 0, len(problems))
		for _, p := range problems {
			msgs = append(msgs, describe(p))
		}
		return nil, fmt.Errorf("openapi document is not valid OpenAPI 3.1:\n  %s", strings.Join(msgs, "\n  "))
	}
	return &Checker{routes: routesOf(&model.Model), model: &model.Model, v: v, schemas: newSchemaValidator()}, nil
}

// routesOf lists the operations of the document, sorted by path then method.
func routesOf(m *v3.Document) []Route {
	var out []Route
	if m.Paths == nil || m.Paths.PathItems == nil {
		return out
	}
	for p := m.Paths.PathItems.First(); p != nil; p = p.Next() {
		for op := p.Value().GetOperations().First(); op != nil; op = op.Next() {
			out = append(out, Route{Method: strings.ToUpper(op.Key()), Path: p.Key()})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Routes returns every operation of the document (method and path template, such as
// GET /api/v1/holds/{hold_id}), sorted by path then method, so that a test can compare
// them with the routes a router registers.
func (c *Checker) Routes() []Route {
	return append([]Route(nil), c.routes...)
}

// Route finds the document's route that serves req's method and path.
func (c *Checker) Route(req *http.Request) (Route, bool) {
	for _, r := range c.routes {
		if r.Method == req.Method && r.Matches(req.URL.Path) {
			return r, true
		}
	}
	return Route{}, false
}

// Response checks that the document allows a response of status with header and body
// to req: the route and method exist, the status is documented for it, its required
// headers are there and valid, and the body matches the schema (no missing or extra
// field, no wrong type). The error, a *ResponseError, names the route, the status and
// every field that failed.
func (c *Checker) Response(req *http.Request, status int, header http.Header, body []byte) error {
	route, ok := c.Route(req)
	if !ok {
		return &ResponseError{Route: Route{Method: req.Method, Path: req.URL.Path}, Status: status,
			Problems: []string{"no such route in the document"}}
	}
	if header == nil {
		header = http.Header{}
	}
	resp := &http.Response{
		StatusCode: status,
		Header:     header,
		Body:       io.NopCloser(bytes.NewReader(body)),
		Request:    req,
	}
	c.mu.Lock()
	valid, problems := c.v.ValidateHttpResponse(req, resp)
	c.mu.Unlock()
	if valid {
		return nil
	}
	out := &ResponseError{Route: route, Status: status}
	for _, p := range problems {
		out.Problems = append(out.Problems, describe(p))
	}
	if len(out.Problems) == 0 {
		out.Problems = []string{"invalid, for no reason the validator gave"}
	}
	return out
}

// ResponseError is a response the document does not allow.
type ResponseError struct {
	// Route is the route that answered (the request's own method and path when the
	// document has no such route).
	Route Route
	// Status is the response's status.
	Status int
	// Problems says what is wrong, one line each, naming the field where there is one
	// ("$.sections[0].held: missing property 'held'").
	Problems []string
}

// Error implements error.
func (e *ResponseError) Error() string {
	return fmt.Sprintf("%s %s answered %d: %s", e.Route.Method, e.Route.Path, e.Status, strings.Join(e.Problems, "; "))
}

// ErrNoRoute is what a ResponseError for a route the document lacks matches with
// errors.Is.
var ErrNoRoute = errors.New("no such route in the document")

// Is lets errors.Is(err, ErrNoRoute) recognise a response to an undocumented route.
func (e *ResponseError) Is(target error) bool {
	return target == ErrNoRoute && len(e.Problems) == 1 && e.Problems[0] == ErrNoRoute.Error()
}
