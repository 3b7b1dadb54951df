package apicheck

import (
	"errors"
	"net/http"
)

// Answer checks any answer the server gives, to any request: Response's checks for a
// route the document has; for any other method and path, the answer every unknown
// route gets, a 404 whose body is the document's NotFoundError and which carries an
// X-Request-Id. Tests that also probe unknown paths check every answer with it.
func (c *Checker) Answer(req *http.Request, status int, header http.Header, body []byte) error {
	err := c.Response(req, status, header, body)
	if !errors.Is(err, ErrNoRoute) {
		return err
	}
	route := Route{Method: req.Method, Path: req.URL.Path}
	out := &ResponseError{Route: route, Status: status}
	if status != http.StatusNotFound {
		out.Problems = append(out.Problems, "no such route in the document, yet not answered 404")
	}
	if header.Get("X-Request-Id") == "" {
		out.Problems = append(out.Problems, "no X-Request-Id header")
	}
	if err := c.Message("NotFoundError", body); err != nil {
		out.Problems = append(out.Problems, err.Error())
	}
	if len(out.Problems) == 0 {
		return nil
	}
	return out
}
