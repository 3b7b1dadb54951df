package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestBrowserWaitingRoom opens a waiting room with a small fixed rate and drives two
// fans' pages through it: each sees their place, the fans ahead and a progress bar that
// move, then the seat map once admitted, in position order, and holds with the pass.
// A hold without a pass is QUEUE_REQUIRED. The visualizer shows the queue.
func TestBrowserWaitingRoom(t *testing.T) {
	requireChromium(t)
	s := startServer(t)
	b := startBrowser(t)
	admin := s.as("root", "admin")
	created := admin.do("POST", "/api/v1/events", map[string]any{"name": "Queue Night", "venue": "Club",
		"starts_at": "2027-06-01T20:00:00Z", "currency": "USD",
		"sections": []any{map[string]any{"id": "floor", "name": "Floor", "kind": "general_admission", "price_cents": 1500, "capacity": 100}}})
	want(t, created, 201, "")
	ev := created.str("id")
	// The room opens in an hour: the fans queue up, and nobody is admitted yet.
	room := "/api/v1/events/" + ev + "/waiting-room"
	opens := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	want(t, admin.do("PUT", room, map[string]any{"enabled": true, "admit_per_s": 1, "opens_at": opens}), 200, "")

	viz := b.newTab(t, "visualizer", 1440, 1000)
	viz.do(chromedp.Navigate(s.URL + "/#/visualizer"))

	// Three fans joined before ours, through the API: the page fans wait a few seconds.
	for i := 0; i < 3; i++ {
		want(t, s.as(fmt.Sprintf("early-%d", i), "fan").do("POST", "/api/v1/events/"+ev+"/queue", nil), 201, "")
	}
	queued := `!document.getElementById('queue-area').hidden && document.getElementById('queue-position').textContent.startsWith('#')`
	var fans []*tab
	for i := 1; i <= 2; i++ {
		page := b.newTab(t, fmt.Sprintf("fan%d", i), 1280, 900)
		page.do(chromedp.Navigate(s.URL + "/#/events/" + ev))
		page.waitFor(10*time.Second, "the waiting room asks to sign in", `!document.getElementById('queue-area').hidden`)
		signIn(page, fmt.Sprintf("queue-fan-%d", i))
		page.waitFor(10*time.Second, "a place in the queue", queued)
		fans = append(fans, page)
	}
	first, second := fans[0], fans[1]
	p1, _ := strconv.Atoi(strings.TrimPrefix(first.text("#queue-position"), "#"))
	p2, _ := strconv.Atoi(strings.TrimPrefix(second.text("#queue-position"), "#"))
	if p1 < 1 || p2 != p1+1 {
		t.Fatalf("places %d and %d: want two places in a row", p1, p2)
	}
	if !eval[bool](second, `document.getElementById('ga-area').hidden && document.getElementById('hold-btn').disabled`) {
		t.Fatal("a waiting fan sees the seat map or can hold")
	}
	second.screenshot("queue-waiting")

	// Admission starts now, one fan a second. The pages were told to follow their
	// tickets shortly before the opening they were answered, in an hour
	// (follow_after_ms): a fan hears of the earlier one by reloading, which joins again
	// (the same ticket) and follows the new answer's hint, none at the front. The second
	// fan's place moves: fewer ahead, the bar fills.
	want(t, admin.do("PUT", room, map[string]any{"enabled": true, "admit_per_s": 1}), 200, "")
	admitted := `document.getElementById('queue-area').hidden && !document.getElementById('ga-area').hidden`
	for _, page := range fans {
		page.do(chromedp.Reload())
		page.waitFor(10*time.Second, "a place in the queue after a reload", queued+` || `+admitted)
	}
	ahead := second.text("#queue-ahead")
	second.waitFor(15*time.Second, "fewer fans ahead", `document.getElementById('queue-ahead').textContent !== `+jsString(ahead))
	second.waitFor(5*time.Second, "the progress bar moves", `Number(document.getElementById('queue-progress').getAttribute('aria-valuenow')) > 0`)

	// A hold without a pass is refused, and the page says why.
	ctx, cancel := context.WithTimeout(second.ctx, 10*time.Second)
	defer cancel()
	refused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
	  const { Api } = await import('/js/api.js');
	  const { describeError } = await import('/js/errors.js');
	  try {
	    await new Api().request('POST', '/api/v1/events/`+ev+`/holds', { body: { section_id: 'floor', quantity: 1 }, auth: true });
	    return 'held';
	  } catch (err) {
	    return err.code + ': ' + describeError(err);
	  }
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(refused, "QUEUE_REQUIRED: ") || !strings.Contains(refused, "waiting room") {
		t.Fatalf("a hold without a pass: %q", refused)
	}

	// The first fan is admitted first: the seat map opens for them while the second waits.
	first.waitFor(15*time.Second, "admitted: the seat map", admitted)
	if !eval[bool](second, `!document.getElementById('queue-area').hidden`) {
		t.Fatal("the second fan was admitted no later than the first")
	}
	first.screenshot("queue-admitted")

	// Holding carries the pass.
	for _, page := range fans {
		page.waitFor(15*time.Second, "admitted: the seat map", admitted)
		page.do(chromedp.SetValue(chromedp.CSS("#ga-qty"), "2"))
		page.waitFor(5*time.Second, "hold enabled", `!document.getElementById('hold-btn').disabled`)
		page.do(chromedp.Click(chromedp.CSS("#hold-btn")))
		page.waitFor(10*time.Second, "hold panel", `!document.getElementById('hold-panel').hidden`)
		if warn := page.text(".msg-error"); warn != "" {
			t.Fatalf("%s: holding showed an error: %q", page.name, warn)
		}
	}
	second.screenshot("queue-held")
	m := s.anonymous().do("GET", "/api/v1/events/"+ev+"/sections/floor/seats", nil)
	want(t, m, 200, "")
	if m.Body["held"] != 4.0 {
		t.Fatalf("seat map after both holds: %s", m.Raw)
	}

	// The visualizer shows the room: waiting, admitted per second, the rate it follows.
	card := `document.querySelector('#rooms .room-card[data-event=` + jsString(ev) + `]')`
	viz.waitFor(10*time.Second, "the room in the visualizer", card+` && `+card+`.querySelector('.room-rate').textContent === '1/s'`)
	viz.do(chromedp.ScrollIntoView(chromedp.CSS("#rooms-title")))
	viz.screenshot("queue-visualizer")
}

// TestBrowserQueueWaitsForHint has a fan join a room that opens about 8 s later. The
// join answer tells the page to follow the ticket only after follow_after_ms: the page
// shows the place and an ETA that counts down at once, opens no queue websocket and
// reads no ticket before that time has passed, then follows the ticket over the
// websocket, and shows the seat map once the room opened and admitted the fan.
func TestBrowserQueueWaitsForHint(t *testing.T) {
	requireChromium(t)
	s := startServer(t)
	b := startBrowser(t)
	admin := s.as("root", "admin")
	created := admin.do("POST", "/api/v1/events", map[string]any{"name": "Hint Night", "venue": "Club",
		"starts_at": "2027-06-01T20:00:00Z", "currency": "USD",
		"sections": []any{map[string]any{"id": "floor", "name": "Floor", "kind": "general_admission", "price_cents": 1500, "capacity": 100}}})
	want(t, created, 201, "")
	ev := created.str("id")
	room := "/api/v1/events/" + ev + "/waiting-room"
	want(t, admin.do("PUT", room, map[string]any{"enabled": true, "admit_per_s": 20,
		"opens_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}), 200, "")

	page := b.newTab(t, "fan", 1280, 900)
	traffic := page.recordNetwork()
	page.do(chromedp.Navigate(s.URL + "/#/events/" + ev))
	page.waitFor(10*time.Second, "the waiting room asks to sign in", `!document.getElementById('queue-area').hidden`)

	// The room opens 8 s from now; signing in joins the queue.
	opens := time.Now().Add(8 * time.Second)
	want(t, admin.do("PUT", room, map[string]any{"enabled": true, "admit_per_s": 20,
		"opens_at": opens.UTC().Format(time.RFC3339Nano)}), 200, "")
	signIn(page, "hint-fan")
	joinPath := "/api/v1/events/" + ev + "/queue"
	var joined netEvent
	err := testenv.TryEvery(10*time.Second, browserPoll, func() error {
		events := traffic.snapshot()
		for _, e := range events {
			if e.kind == "response" && hasPath(e.url, joinPath) && traffic.method(events, e.id) == "POST" {
				joined = e
			}
		}
		if joined.id == "" {
			return fmt.Errorf("no answer to the join yet")
		}
		for _, e := range events {
			if e.kind == "finished" && e.id == joined.id {
				return nil
			}
		}
		return fmt.Errorf("the join's answer is still arriving")
	})
	if err != nil {
		t.Fatal(err)
	}

	// The place and the ETA show at once.
	waiting := `!document.getElementById('queue-area').hidden && document.getElementById('queue-position').textContent.startsWith('#')` +
		` && document.getElementById('queue-eta').textContent.startsWith('~')`
	page.waitFor(2*time.Second, "the place and the ETA", waiting)
	var ticket struct {
		Status        string `json:"status"`
		FollowAfterMS *int64 `json:"follow_after_ms"`
	}
	body := traffic.body(joined.id)
	if err := json.Unmarshal([]byte(body), &ticket); err != nil {
		t.Fatalf("the join's answer: %v: %s", err, body)
	}
	if ticket.Status != "waiting" || ticket.FollowAfterMS == nil || *ticket.FollowAfterMS < 2000 {
		t.Fatalf("the join's answer, %.1f s before the opening: want a waiting ticket with follow_after_ms ≥ 2000: %s",
			opens.Sub(joined.at).Seconds(), body)
	}
	hint := time.Duration(*ticket.FollowAfterMS) * time.Millisecond
	t.Logf("joined %.1f s before the opening; follow_after_ms %d", opens.Sub(joined.at).Seconds(), *ticket.FollowAfterMS)

	// The ETA counts down from the answer, with nothing read since.
	eta := page.text("#queue-eta")
	page.waitFor(3*time.Second, "the ETA counts down", `document.getElementById('queue-eta').textContent !== `+jsString(eta))
	page.screenshot("queue-hint-waiting")

	// The page follows the ticket once the hint passed, over the websocket first.
	following := func(e netEvent) bool {
		return e.kind == "websocket" && hasPath(e.url, "/ws/queue/") ||
			e.kind == "request" && e.method == "GET" && hasPath(e.url, "/api/v1/queue/")
	}
	var first netEvent
	err = testenv.TryEvery(hint+hint/10+5*time.Second, browserPoll, func() error {
		for _, e := range traffic.snapshot() {
			if following(e) {
				first = e
				return nil
			}
		}
		return fmt.Errorf("the page does not follow its ticket")
	})
	if err != nil {
		t.Fatal(err)
	}
	// The answer was heard here no later than the page read it (a little slack for the
	// events' delivery).
	if after := first.at.Sub(joined.at); after < hint-250*time.Millisecond {
		t.Fatalf("the page followed its ticket %v after the join's answer (%s %s), before follow_after_ms %v",
			after.Round(time.Millisecond), first.kind, first.url, hint)
	}
	t.Logf("the page followed its ticket by %s %v after the join's answer", first.kind, first.at.Sub(joined.at).Round(time.Millisecond))
	if first.kind != "websocket" {
		t.Fatalf("the page followed its ticket by %s %s, want the websocket first", first.kind, first.url)
	}

	// Admitted after the opening: the seat map.
	admitted := `document.getElementById('queue-area').hidden && !document.getElementById('ga-area').hidden`
	page.waitFor(20*time.Second, "admitted: the seat map", admitted)
	if now := time.Now(); now.Before(opens) {
		t.Fatalf("admitted %v before the opening", opens.Sub(now))
	}
	page.screenshot("queue-hint-admitted")
}
