package main

import (
	"bytes"
	"fmt"
	nethttp "net/http"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// queueWhilePaused pauses section (classroom mode), sends n holds from new fans that
// wait in its mailbox, oldest first, resumes it and waits for their answers. It returns
// the fans, in the order their holds arrived.
func queueWhilePaused(t *testing.T, s *testServer, admin *api, section string, n int) []string {
	t.Helper()
	base := "/api/v1/admin/sections/demo/" + section
	want(t, admin.do("POST", base+"/pause", nil), 200, "")
	fans := make([]string, n)
	answers := make(chan error, n)
	for i := range fans {
		fans[i] = fmt.Sprintf("replay-queued-%d", i)
		token := s.as(fans[i], "fan").token
		go func() {
			req, _ := nethttp.NewRequest("POST", s.URL+"/api/v1/events/demo/holds", bytes.NewReader([]byte(`{"section_id":"`+section+`","quantity":1}`)))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			res, err := (&nethttp.Client{Timeout: 30 * time.Second}).Do(req)
			if err == nil {
				res.Body.Close()
			}
			answers <- err
		}()
		// One at a time, so that they arrive in order.
		testenv.EventuallyEvery(t, 10*time.Second, 50*time.Millisecond, func() error {
			r := admin.do("GET", base, nil)
			want(t, r, 200, "")
			if depth := r.Body["mailbox"].(map[string]any)["depth"].(float64); int(depth) != i+1 {
				return fmt.Errorf("%v commands queued, want %d", depth, i+1)
			}
			return nil
		})
	}
	want(t, admin.do("POST", base+"/resume", nil), 200, "")
	for range fans {
		if err := <-answers; err != nil {
			t.Fatalf("a queued hold: %v", err)
		}
	}
	return fans
}

// recordStepOf returns the replay step at which user's first attempt in section was
// decided (the number of attempts decided up to and including it), from the record.
func recordStepOf(t *testing.T, admin *api, section, user string) int {
	t.Helper()
	r := admin.do("GET", "/api/v1/admin/sections/demo/"+section+"/record?limit=2000", nil)
	want(t, r, 200, "")
	if r.Body["next_after"] != nil {
		t.Fatalf("the record of %s is longer than a page", section)
	}
	for i, raw := range r.Body["attempts"].([]any) {
		a := raw.(map[string]any)
		if a["user_id"] == user {
			if a["received_at"] == nil {
				t.Fatalf("attempt %v has no arrival", a)
			}
			return i + 1
		}
	}
	t.Fatalf("no attempt of %s in the record of %s", user, section)
	return 0
}
