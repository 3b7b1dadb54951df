package main

import (
	"bytes"
	"errors"
	"fmt"
	nethttp "net/http"
	"testing"
	"time"

	tbhttp "github.com/ticketblitz/ticketblitz/http"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestDevInspectorAcrossNodes: in "ticketblitz dev --nodes 2" (classroom on), each
// section is inspected, paused, stepped and resumed through the node that does not host
// it, so the inspector's protobuf messages cross processes; a hold sent while the
// section is paused waits in its queue, where the other node's inspector lists it, and a
// step decides it.
func TestDevInspectorAcrossNodes(t *testing.T) {
	d := startDev(t)
	admins := []*api{
		{t: t, base: d.url(0), token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}},
		{t: t, base: d.url(1), token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}},
	}
	// Find a section and the node that does not host it.
	var section string
	var via *api
	for _, s := range []string{"A", "B", "floor", "arena"} {
		r := admins[0].do("GET", "/api/v1/admin/sections/demo/"+s, nil)
		want(t, r, 200, "")
		switch r.str("node") {
		case "node2":
			section, via = s, admins[0]
		case "node1":
			section, via = s, admins[1]
		default:
			t.Fatalf("section %s on node %q", s, r.str("node"))
		}
		if r.str("node") == "node2" {
			break
		}
	}
	path := "/api/v1/admin/sections/demo/" + section
	r := via.do("POST", path+"/pause", nil)
	want(t, r, 200, "")
	if r.Body["paused"] != true {
		t.Fatalf("pause answered %s", r.Raw)
	}
	before := r.Body["holds_active"].(float64)

	fan, _, err := tbhttp.IssueToken([]byte(devJWTSecret), "queued-fan", "fan", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan int, 1)
	go func() {
		req, _ := nethttp.NewRequest("POST", via.base+"/api/v1/events/demo/holds",
			bytes.NewReader(fmt.Appendf(nil, `{"section_id":%q,"quantity":1}`, section)))
		req.Header.Set("Authorization", "Bearer "+fan)
		req.Header.Set("Content-Type", "application/json")
		res, err := (&nethttp.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			held <- 0
			return
		}
		res.Body.Close()
		held <- res.StatusCode
	}()
	testenv.EventuallyEvery(t, 4*time.Second, 50*time.Millisecond, func() error {
		r := via.do("GET", path, nil)
		mb, _ := r.Body["mailbox"].(map[string]any)
		msgs, _ := mb["messages"].([]any)
		if len(msgs) != 1 {
			return fmt.Errorf("queued %s", r.Raw)
		}
		m, _ := msgs[0].(map[string]any)
		if m["type"] != "Hold" || m["user_id"] != "queued-fan" {
			return errors.New("queued " + string(r.Raw))
		}
		return nil
	})
	r = via.do("POST", path+"/step", nil)
	want(t, r, 200, "")
	if r.Body["holds_active"].(float64) != before+1 || r.Body["paused"] != true {
		t.Fatalf("after a step (%v holds before): %s", before, r.Raw)
	}
	if status := <-held; status != 201 {
		t.Fatalf("the stepped hold answered %d, want 201", status)
	}
	r = via.do("POST", path+"/resume", nil)
	want(t, r, 200, "")
	if r.Body["paused"] != false {
		t.Fatalf("resume answered %s", r.Raw)
	}
}
