package http

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/ticketblitz/ticketblitz/actors"
)

// fakeChaos records the actions it was asked to apply and knows one node, node1.
type fakeChaos struct {
	mu      sync.Mutex
	applied []ChaosAction
	state   ChaosState
}

func newFakeChaos() *fakeChaos {
	return &fakeChaos{state: ChaosState{
		Nodes:  []ChaosNode{{Name: "node1", URL: "http://127.0.0.1:1", PID: 7, State: "running"}},
		Broker: ChaosBroker{Addr: "127.0.0.1:2"},
	}}
}

func (f *fakeChaos) State(context.Context) (ChaosState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state, nil
}

func (f *fakeChaos) Apply(_ context.Context, a ChaosAction) (ChaosState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a.Node != "" && a.Node != "node1" {
		return ChaosState{}, &actors.Error{Code: actors.CodeNotFound, Message: "no node " + a.Node}
	}
	f.applied = append(f.applied, a)
	switch a.Action {
	case ChaosPause:
		f.state.Nodes[0].State = "paused"
	case ChaosSlowDatabase:
		f.state.Switches.StoreDelayMS = a.DelayMS
	}
	return f.state, nil
}

func TestChaosRoutesNeedTheClassroom(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"classroom off":    func(c *Config) { c.Chaos = newFakeChaos() },
		"no dev cluster":   func(c *Config) { c.Classroom = true },
		"neither of those": func(*Config) {},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, mutate)
			e.do(t, http.MethodGet, "/api/v1/admin/chaos", "", bearer(t, "root", RoleAdmin)).expectError(t, http.StatusNotFound, "NOT_FOUND")
			e.do(t, http.MethodPost, "/api/v1/admin/chaos", `{"action":"kill","node":"node1"}`, bearer(t, "alice", RoleFan)).
				expectError(t, http.StatusNotFound, "NOT_FOUND")
		})
	}
}

func TestChaosRoutes(t *testing.T) {
	chaos := newFakeChaos()
	e := newEnv(t, func(c *Config) { c.Classroom, c.Chaos = true, chaos })
	admin := bearer(t, "root", RoleAdmin)

	e.do(t, http.MethodGet, "/api/v1/admin/chaos", "", nil).expectError(t, http.StatusUnauthorized, "UNAUTHENTICATED")
	e.do(t, http.MethodGet, "/api/v1/admin/chaos", "", bearer(t, "alice", RoleFan)).expectError(t, http.StatusForbidden, "FORBIDDEN")
	e.do(t, http.MethodPost, "/api/v1/admin/chaos", `{"action":"kill","node":"node1"}`, bearer(t, "alice", RoleFan)).
		expectError(t, http.StatusForbidden, "FORBIDDEN")

	for body, field := range map[string]string{
		`{"action":"explode"}`:                        "action",
		`{"action":"kill"}`:                           "node",
		`{"action":"pause","node":"no/pe"}`:           "node",
		`{"action":"slow-database"}`:                  "delay_ms",
		`{"action":"slow-payments","delay_ms":-1}`:    "delay_ms",
		`{"action":"slow-payments","delay_ms":10001}`: "delay_ms",
	} {
		d := e.do(t, http.MethodPost, "/api/v1/admin/chaos", body, admin).expectError(t, http.StatusBadRequest, "VALIDATION_FAILED")
		if d[field] == nil {
			t.Errorf("%s: details %v do not name %s", body, d, field)
		}
	}
	e.do(t, http.MethodPost, "/api/v1/admin/chaos", `{"action":"pause","node":"node9"}`, admin).expectError(t, http.StatusNotFound, "NOT_FOUND")
	if len(chaos.applied) != 0 {
		t.Fatalf("refused requests reached the supervisor: %+v", chaos.applied)
	}

	r := e.do(t, http.MethodGet, "/api/v1/admin/chaos", "", admin)
	r.expectStatus(t, http.StatusOK)
	r = e.do(t, http.MethodPost, "/api/v1/admin/chaos", `{"action":"pause","node":"node1"}`, admin)
	r.expectStatus(t, http.StatusOK)
	nodes, _ := r.body["nodes"].([]any)
	if len(nodes) != 1 || nodes[0].(map[string]any)["state"] != "paused" {
		t.Fatalf("after pause: %s", r.raw)
	}
	r = e.do(t, http.MethodPost, "/api/v1/admin/chaos", `{"action":"slow-database","delay_ms":250}`, admin)
	r.expectStatus(t, http.StatusOK)
	if sw, _ := r.body["switches"].(map[string]any); sw["store_delay_ms"] != float64(250) {
		t.Fatalf("after slow-database: %s", r.raw)
	}
	if len(chaos.applied) != 2 || chaos.applied[0].By != "root" || chaos.applied[0].Authorization == "" {
		t.Fatalf("applied %+v: want two actions, by root, with the caller's token to pass on", chaos.applied)
	}
	warned := e.logs.FilterMessage("fault injected from the classroom controls").FilterLevelExact(zapcore.WarnLevel).All()
	if len(warned) != 2 || warned[0].ContextMap()["by"] != "root" || warned[0].ContextMap()["action"] != "pause" || warned[0].ContextMap()["node"] != "node1" {
		t.Fatalf("WARN lines %+v: want one per fault injected, naming who and what", warned)
	}
}
