package apicheck

import "strings"

// Route is one operation: an HTTP method and an OpenAPI path template.
type Route struct {
	// Method is upper case: GET, POST, DELETE…
	Method string
	// Path is the template, with {name} for each parameter: /api/v1/holds/{hold_id}.
	Path string
}

// String renders the route as "GET /api/v1/holds/{hold_id}".
func (r Route) String() string { return r.Method + " " + r.Path }

// Matches reports whether a request path (no query) fits the template: the same
// segments, where each {name} stands for one non-empty segment.
func (r Route) Matches(path string) bool {
	want := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
	got := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			if got[i] == "" {
				return false
			}
			continue
		}
		if w != got[i] {
			return false
		}
	}
	return true
}

// FiberPath renders the template the way Fiber writes routes: /api/v1/holds/:hold_id.
func (r Route) FiberPath() string {
	segs := strings.Split(r.Path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(segs, "/")
}
