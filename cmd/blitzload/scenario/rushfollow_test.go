package scenario

import (
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// A fan waits what is left of its ticket's follow_after_ms before following it, from
// when the ticket came; --queue-follow-now follows at once.
func TestFollowWaitTakesTheTicketsHint(t *testing.T) {
	got := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tk := api.QueueTicket{Status: "waiting", FollowAfterMS: 1500}
	cfg := Config{QueuePoll: 250 * time.Millisecond}
	for _, c := range []struct {
		now  time.Time
		want time.Duration
	}{
		{got, 1500 * time.Millisecond},
		{got.Add(400 * time.Millisecond), 1100 * time.Millisecond}, // the join's barrier took some
		{got.Add(2 * time.Second), 0},
	} {
		if d := followWait(cfg, tk, got, c.now); d != c.want {
			t.Errorf("%v after the ticket: wait %v, want %v", c.now.Sub(got), d, c.want)
		}
	}
	if d := followWait(cfg, api.QueueTicket{Status: "waiting"}, got, got); d != 0 {
		t.Errorf("no hint: wait %v, want 0", d)
	}
	if d := followWait(cfg, api.QueueTicket{FollowAfterMS: -5}, got, got); d != 0 {
		t.Errorf("a negative hint: wait %v, want 0", d)
	}
	cfg.QueueFollowNow = true
	if d := followWait(cfg, tk, got, got); d != 0 {
		t.Errorf("--queue-follow-now: wait %v, want 0", d)
	}
}

// A polling fan reads its ticket no sooner than the ticket asks, beyond its own pace
// (its interval, up to half the ETA, at most 2 s), unless --queue-follow-now.
func TestPollWaitTakesTheTicketsHint(t *testing.T) {
	cfg := Config{QueuePoll: 250 * time.Millisecond}
	for _, c := range []struct {
		tk   api.QueueTicket
		want time.Duration
	}{
		{api.QueueTicket{ETASeconds: 0}, 250 * time.Millisecond},
		{api.QueueTicket{ETASeconds: 3}, 1500 * time.Millisecond},
		{api.QueueTicket{ETASeconds: 60}, 2 * time.Second},
		{api.QueueTicket{ETASeconds: 1, FollowAfterMS: 100}, 500 * time.Millisecond},
		{api.QueueTicket{ETASeconds: 1, FollowAfterMS: 1700}, 1700 * time.Millisecond},
		{api.QueueTicket{ETASeconds: 60, FollowAfterMS: 12500}, 12500 * time.Millisecond},
	} {
		if d := pollWait(cfg, c.tk); d != c.want {
			t.Errorf("eta %d s, follow after %d ms: wait %v, want %v", c.tk.ETASeconds, c.tk.FollowAfterMS, d, c.want)
		}
	}
	cfg.QueueFollowNow = true
	if d := pollWait(cfg, api.QueueTicket{ETASeconds: 60, FollowAfterMS: 12500}); d != 2*time.Second {
		t.Errorf("--queue-follow-now: wait %v, want 2s (the fan's own pace)", d)
	}
}

// TestPollingFansSpreadOverTheFans: the fans that poll are spread evenly over the fans'
// indexes, one in every fans/polling, not the last ones: the goroutines released last
// joined first, and 359–400 of 400 polling fans took positions among the first 1,000.
func TestPollingFansSpreadOverTheFans(t *testing.T) {
	for _, tt := range []struct{ fans, ws int }{{10000, 9600}, {10000, 10000}, {10000, 0}, {7, 3}, {1000, 999}} {
		polling, run := 0, 0
		stride := 0
		if p := tt.fans - tt.ws; p > 0 {
			stride = (tt.fans + p - 1) / p
		}
		for i := range tt.fans {
			if followsOverWS(i, tt.fans, tt.ws) {
				run++
				continue
			}
			polling++
			if run >= stride {
				t.Errorf("%d fans, %d by websocket: %d in a row follow by websocket before fan %d polls, at most %d expected", tt.fans, tt.ws, run, i, stride-1)
			}
			run = 0
		}
		if polling != tt.fans-tt.ws {
			t.Errorf("%d fans, %d by websocket: %d poll, want %d", tt.fans, tt.ws, polling, tt.fans-tt.ws)
		}
		if tt.ws < tt.fans && tt.fans-tt.ws < tt.fans/2 && run >= stride {
			t.Errorf("%d fans, %d by websocket: the last %d all follow by websocket", tt.fans, tt.ws, run)
		}
	}
}

// A fan's read waits for its ticket's change no longer than half its request timeout
// allows (the answer must come before the client gives up) and the server's 30 s, in
// whole milliseconds; without --queue-wait it polls.
func TestReadWaitBounds(t *testing.T) {
	for _, c := range []struct {
		wait, timeout, want time.Duration
	}{
		{0, 10 * time.Second, 0},
		{3 * time.Second, 10 * time.Second, 3 * time.Second},
		{25 * time.Second, 10 * time.Second, 5 * time.Second},
		{40 * time.Second, 2 * time.Minute, 30 * time.Second},
		{1500*time.Microsecond + 1, 10 * time.Second, time.Millisecond},
	} {
		if got := readWait(Config{QueueWait: c.wait, Timeout: c.timeout}); got != c.want {
			t.Errorf("--queue-wait %v, --timeout %v: reads wait %v; want %v", c.wait, c.timeout, got, c.want)
		}
	}
}

// A fan reads again at once after a read that waited for its ticket's change, and as
// a polling fan does after one the server answered at once (a server that does not
// wait): never in a loop.
func TestReadAgainAfterAWaitOnly(t *testing.T) {
	cfg := Config{QueuePoll: 250 * time.Millisecond, Timeout: 10 * time.Second}
	cur := api.QueueTicket{Status: "waiting", ETASeconds: 1}
	for _, c := range []struct {
		long, took, want time.Duration
	}{
		{5 * time.Second, 5 * time.Second, 0},
		{5 * time.Second, 2500 * time.Millisecond, 0},
		{5 * time.Second, 3 * time.Millisecond, 500 * time.Millisecond},
		{0, 3 * time.Millisecond, 500 * time.Millisecond},
	} {
		if got := readAgain(cfg, cur, c.long, c.took); got != c.want {
			t.Errorf("a read that could wait %v, answered in %v: read again after %v; want %v", c.long, c.took, got, c.want)
		}
	}
}
