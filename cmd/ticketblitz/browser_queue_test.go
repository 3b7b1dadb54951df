package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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

	// Eight fans joined before ours, through the API: the page fans wait several
	// seconds once the room opens, long enough to see their places move on a loaded
	// machine (with three, the second fan was admitted before its bar was looked at).
	for i := 0; i < 8; i++ {
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
	// tickets in 30 s, the longest hint (follow_after_ms), since the opening was an hour
	// away: rather than wait for that, each fan reloads, which joins again (the same
	// ticket) and follows the new answer's hint, none at the front. The second
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
