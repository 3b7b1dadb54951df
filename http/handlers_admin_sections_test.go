package http

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// fakeSections answers the section routes with a paused section and records the calls.
type fakeSections struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeSections) answer(call string, key actors.SectionKey, by string) (actors.SectionInspection, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call+" "+key.Identity()+" by "+by)
	f.mu.Unlock()
	if key.SectionID == "Z" {
		return actors.SectionInspection{}, &actors.Error{Code: actors.CodeNotFound, Message: "no such section"}
	}
	if call == "step" && key.SectionID == "B" {
		return actors.SectionInspection{}, actors.Invalid("section", "the section is not paused: pause it before stepping")
	}
	return actors.SectionInspection{Node: "node2", Epoch: 3, Version: 41, Since: testNow.Add(-time.Minute), Paused: call != "resume",
		MailboxDepth: 2, Messages: []actors.QueuedMessage{{Type: "Hold", UserID: "u1", Age: 1500 * time.Millisecond}, {Type: "Confirm", UserID: "u2", Age: 3 * time.Millisecond}},
		BatchWriting: 1, BatchNext: 4, HoldsActive: 17, DecisionsTotal: 230}, nil
}

func (f *fakeSections) Inspect(_ context.Context, key actors.SectionKey) (actors.SectionInspection, error) {
	return f.answer("inspect", key, "")
}
func (f *fakeSections) Pause(_ context.Context, key actors.SectionKey, by string) (actors.SectionInspection, error) {
	return f.answer("pause", key, by)
}
func (f *fakeSections) Resume(_ context.Context, key actors.SectionKey, by string) (actors.SectionInspection, error) {
	return f.answer("resume", key, by)
}
func (f *fakeSections) Step(_ context.Context, key actors.SectionKey, by string) (actors.SectionInspection, error) {
	return f.answer("step", key, by)
}

func TestSectionInspectorRoutes(t *testing.T) {
	sections := &fakeSections{}
	e := newEnv(t, func(c *Config) { c.Sections = sections })
	admin := bearer(t, "root", RoleAdmin)

	e.do(t, http.MethodGet, "/api/v1/admin/sections/e1/A", "", nil).expectError(t, http.StatusUnauthorized, "UNAUTHENTICATED")
	e.do(t, http.MethodGet, "/api/v1/admin/sections/e1/A", "", bearer(t, "alice", RoleFan)).expectError(t, http.StatusForbidden, "FORBIDDEN")
	e.do(t, http.MethodGet, "/api/v1/admin/sections/e1/no%2Fpe", "", admin).expectError(t, http.StatusNotFound, "NOT_FOUND")
	e.do(t, http.MethodGet, "/api/v1/admin/sections/e1/Z", "", admin).expectError(t, http.StatusNotFound, "NOT_FOUND")

	r := e.do(t, http.MethodGet, "/api/v1/admin/sections/e1/A", "", admin)
	r.expectStatus(t, http.StatusOK)
	want := `{"node":"node2","activation":{"epoch":3,"version":41,"since":"2026-06-01T11:59:00Z"},"paused":true,` +
		`"mailbox":{"depth":2,"messages":[{"type":"Hold","user_id":"u1","age_ms":1500},{"type":"Confirm","user_id":"u2","age_ms":3}]},` +
		`"batch":{"writing":1,"next":4},"holds_active":17,"decisions_total":230,"classroom":false}`
	if r.raw != want {
		t.Fatalf("inspection\n got %s\nwant %s", r.raw, want)
	}

	// Without the classroom, pause, resume and step do not exist, for admins too.
	for _, op := range []string{"pause", "resume", "step"} {
		e.do(t, http.MethodPost, "/api/v1/admin/sections/e1/A/"+op, "", admin).expectError(t, http.StatusNotFound, "NOT_FOUND")
	}
	sections.mu.Lock()
	if len(sections.calls) != 2 {
		t.Fatalf("calls without the classroom: %v", sections.calls)
	}
	sections.calls = nil
	sections.mu.Unlock()
}

func TestSectionControlsInTheClassroom(t *testing.T) {
	sections := &fakeSections{}
	e := newEnv(t, func(c *Config) { c.Sections, c.Classroom = sections, true })
	admin := bearer(t, "root", RoleAdmin)
	e.do(t, http.MethodPost, "/api/v1/admin/sections/e1/A/pause", "", bearer(t, "alice", RoleFan)).expectError(t, http.StatusForbidden, "FORBIDDEN")
	for _, op := range []string{"pause", "step", "resume"} {
		r := e.do(t, http.MethodPost, "/api/v1/admin/sections/e1/A/"+op, "", admin)
		r.expectStatus(t, http.StatusOK)
		if r.body["paused"] != (op != "resume") || r.body["classroom"] != true {
			t.Fatalf("%s answered %s", op, r.raw)
		}
	}
	e.do(t, http.MethodPost, "/api/v1/admin/sections/e1/B/step", "", admin).expectError(t, http.StatusBadRequest, "VALIDATION_FAILED")
	sections.mu.Lock()
	defer sections.mu.Unlock()
	want := []string{"pause e1/A by root", "step e1/A by root", "resume e1/A by root", "step e1/B by root"}
	if len(sections.calls) != len(want) {
		t.Fatalf("calls %v, want %v", sections.calls, want)
	}
	for i := range want {
		if sections.calls[i] != want[i] {
			t.Fatalf("calls %v, want %v", sections.calls, want)
		}
	}
}

// TestSectionInspectorWithoutActors: a server whose strategy has no section actors
// answers 501 NOT_RECORDED.
func TestSectionInspectorWithoutActors(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Classroom = true })
	admin := bearer(t, "root", RoleAdmin)
	e.do(t, http.MethodGet, "/api/v1/admin/sections/e1/A", "", admin).expectError(t, http.StatusNotImplemented, "NOT_RECORDED")
	e.do(t, http.MethodPost, "/api/v1/admin/sections/e1/A/pause", "", admin).expectError(t, http.StatusNotImplemented, "NOT_RECORDED")
}
