package main

import (
	"context"
	"fmt"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestBrowser drives the web page in headless Chromium against the real binary: a fan
// buying a seat with the keyboard, a second fan seeing it turn held live, a fan asking
// why a seat was not theirs, the visualizer during a flash sale, the phone layout, and the API reference page.
func TestBrowser(t *testing.T) {
	requireChromium(t)
	s := startServer(t)
	b := startBrowser(t)

	t.Run("LiveFeedAndMessages", func(t *testing.T) { testLiveFeedAndMessages(t, s, b) })
	t.Run("FanBuysWithKeyboard", func(t *testing.T) { testFanBuysWithKeyboard(t, s, b) })
	t.Run("WatcherSeesHoldLive", func(t *testing.T) { testWatcherSeesHoldLive(t, s, b) })
	t.Run("WhyNotThisSeat", func(t *testing.T) { testWhyNotThisSeat(t, s, b) })
	t.Run("VisualizerShowsFlashSale", func(t *testing.T) { testVisualizerShowsFlashSale(t, s, b) })
	t.Run("PhoneLayout", func(t *testing.T) { testPhoneLayout(t, s, b) })
	t.Run("APIReference", func(t *testing.T) { testAPIReference(t, s, b) })
}

// openSection loads the fan view on a section and waits for its seat map.
func openSection(tb *tab, s *testServer, section string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(s.URL + "/#/events/demo/" + section))
	tb.waitFor(15*time.Second, "seat map loaded", `document.getElementById('seatmap')?.dataset.seats > 0`)
}

// signIn signs in through the header form.
func signIn(tb *tab, user string) {
	tb.t.Helper()
	tb.do(
		chromedp.WaitVisible(chromedp.CSS("#signin-user")),
		chromedp.SendKeys(chromedp.CSS("#signin-user"), user),
		chromedp.Click(chromedp.CSS("#signin-form button")),
	)
	tb.waitFor(10*time.Second, "signed in", `!document.getElementById('signed-in').hidden`)
}

// focusSeat focuses the seat map (the cursor starts on the first seat of the first
// row) and walks to the seat rows down and seats right with the arrow keys.
func focusSeat(tb *tab, down, right int, want string) {
	tb.t.Helper()
	tb.do(chromedp.Focus(chromedp.CSS("#seatmap")))
	keys := strings.Repeat(kb.ArrowDown, down) + strings.Repeat(kb.ArrowRight, right)
	tb.do(chromedp.KeyEvent(keys))
	tb.waitFor(5*time.Second, "keyboard focus on "+want, `document.getElementById('seat-info').dataset.seat === `+jsString(want))
}

// seatStatus reads a seat's status from the public seat map.
func seatStatus(t *testing.T, a *api, section, seat string) string {
	t.Helper()
	m := a.do("GET", "/api/v1/events/demo/sections/"+section+"/seats", nil)
	want(t, m, 200, "")
	for _, raw := range m.Body["seats"].([]any) {
		st := raw.(map[string]any)
		if st["id"] == seat {
			return st["status"].(string)
		}
	}
	t.Fatalf("seat %s is not in section %s", seat, section)
	return ""
}

// liveFeedScript feeds the page's EventFeed a snapshot, an in-order delta, a duplicate,
// a gap and another event's delta, and checks the error sentences; it returns what failed.
const liveFeedScript = `(async () => {
  const fails = [];
  const check = (name, ok) => { if (!ok) fails.push(name); };
  const { EventFeed } = await import('/js/live.js');
  const got = [];
  const feed = new EventFeed('demo', {
    section: (s) => got.push(['section', s.section_id, s.version]),
    seats: (m) => got.push(['seats', m.section_id, m.version]),
    capacity: (m) => got.push(['capacity', m.section_id, m.version]),
    refetch: (id) => got.push(['refetch', id]),
  });
  feed.handle({ type: 'snapshot', event_id: 'demo', sections: [
    { section_id: 'A', version: 5, seats: [] },
    { section_id: 'floor', version: 2, capacity: 10, available: 10, held: 0, sold: 0 }] });
  feed.handle({ type: 'seats', event_id: 'demo', section_id: 'A', version: 6, changes: [{ id: 'A-1', status: 'held' }] });
  feed.handle({ type: 'seats', event_id: 'demo', section_id: 'A', version: 6, changes: [] });
  feed.handle({ type: 'seats', event_id: 'demo', section_id: 'A', version: 9, changes: [] });
  feed.handle({ type: 'capacity', event_id: 'demo', section_id: 'floor', version: 3, available: 9, held: 1, sold: 0 });
  feed.handle({ type: 'seats', event_id: 'other', section_id: 'A', version: 10, changes: [] });
  check('an older seat map is refused', feed.accept('A', 8) === false);
  check('a seat map as new as the feed is taken', feed.accept('A', 9) === true);
  const want = [['section', 'A', 5], ['section', 'floor', 2], ['seats', 'A', 6], ['seats', 'A', 9], ['refetch', 'A'], ['capacity', 'floor', 3]];
  check('feed calls: ' + JSON.stringify(got), JSON.stringify(got) === JSON.stringify(want));
  const { describeError } = await import('/js/errors.js');
  check('SEAT_UNAVAILABLE names the seats', describeError({ code: 'SEAT_UNAVAILABLE', details: { seats: ['A-3', 'A-4'] } }).includes('A-3 and A-4'));
  check('RATE_LIMITED gives Retry-After', describeError({ code: 'RATE_LIMITED', retryAfter: 7 }).includes('7 seconds'));
  check('UNAVAILABLE says it retries', /retrying/i.test(describeError({ code: 'UNAVAILABLE', retryAfter: 1 })));
  check('LIMIT_EXCEEDED gives the limit', describeError({ code: 'LIMIT_EXCEEDED' }, { maxTickets: 8 }).includes('8 tickets'));
  return fails;
})()`

func testLiveFeedAndMessages(t *testing.T, s *testServer, b *browser) {
	page := b.newTab(t, "modules", 800, 600)
	page.do(chromedp.Navigate(s.URL + "/#/orders"))
	ctx, cancel := context.WithTimeout(page.ctx, 10*time.Second)
	defer cancel()
	fails, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](liveFeedScript, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fails {
		t.Errorf("page module check failed: %s", f)
	}
}

func testFanBuysWithKeyboard(t *testing.T, s *testServer, b *browser) {
	const user, seat = "kb-fan", "B-3"
	page := b.newTab(t, "fan", 1440, 1000)
	openSection(page, s, "arena")
	signIn(page, user)

	focusSeat(page, 1, 2, seat)
	if info := page.text("#seat-info"); !strings.Contains(info, "Available") {
		t.Fatalf("seat info of %s: %q", seat, info)
	}
	page.do(chromedp.KeyEvent(" "))
	page.waitFor(5*time.Second, "seat selected", `[...document.querySelectorAll('#selection-chips .chip')].some(c => c.textContent.startsWith(`+jsString(seat)+`))`)
	page.screenshot("fan-selected")

	page.do(chromedp.Click(chromedp.CSS("#hold-btn")))
	page.waitFor(10*time.Second, "hold panel", `!document.getElementById('hold-panel').hidden`)
	if got := page.text("#hold-seats"); !strings.Contains(got, seat) {
		t.Fatalf("hold panel shows %q, want %s", got, seat)
	}
	if warn := page.text(".msg-warning"); warn != "" {
		t.Fatalf("holding showed a warning: %q", warn)
	}
	page.waitFor(5*time.Second, "countdown running", `/^\d+:\d\d$/.test(document.getElementById('countdown-text').textContent) && document.getElementById('countdown-text').textContent !== '0:00'`)
	first := page.text("#countdown-text")
	page.waitFor(5*time.Second, "countdown ticking", `document.getElementById('countdown-text').textContent !== `+jsString(first))
	fan := s.as(user, "fan")
	if got := seatStatus(t, fan, "arena", seat); got != "held" {
		t.Fatalf("after the hold the API says %s is %s", seat, got)
	}
	page.screenshot("fan-hold")

	// A declined card leaves the hold held.
	page.do(
		chromedp.Click(chromedp.CSS(`input[name="card"][value="tok_decline"]`)),
		chromedp.Click(chromedp.CSS("#confirm-btn")),
	)
	page.waitFor(10*time.Second, "declined message", `!document.getElementById('hold-note').hidden && /declined/i.test(document.querySelector('.msg-error')?.textContent ?? '')`)
	if page.text("#hold-status") != "Held" || eval[bool](page, `document.getElementById('hold-panel').hidden`) {
		t.Fatalf("after a declined payment the hold panel says %q", page.text("#hold-status"))
	}
	if got := seatStatus(t, fan, "arena", seat); got != "held" {
		t.Fatalf("after a declined payment the API says %s is %s", seat, got)
	}
	page.screenshot("fan-declined")

	page.do(
		chromedp.Click(chromedp.CSS(`input[name="card"][value="tok_ok"]`)),
		chromedp.Click(chromedp.CSS("#confirm-btn")),
	)
	page.waitFor(10*time.Second, "order confirmed", `!document.getElementById('order-done').hidden`)
	orderID := page.text("#order-done-id")
	if !strings.HasPrefix(orderID, "o_") {
		t.Fatalf("order id on the page: %q", orderID)
	}
	page.screenshot("fan-order")

	page.do(chromedp.Click(chromedp.CSS(`.nav a[data-route="orders"]`)))
	card := fmt.Sprintf(`document.querySelector('[data-order=%q]')`, orderID)
	page.waitFor(10*time.Second, "order in My orders", card+`?.dataset.status === 'confirmed' && `+card+`.textContent.includes(`+jsString(seat)+`)`)
	page.screenshot("fan-orders")

	mine := fan.do("GET", "/api/v1/me/orders", nil)
	want(t, mine, 200, "")
	found := false
	for _, raw := range mine.Body["orders"].([]any) {
		o := raw.(map[string]any)
		if o["id"] != orderID {
			continue
		}
		found = true
		seats, _ := o["seats"].([]any)
		if o["status"] != "confirmed" || o["section_id"] != "arena" || len(seats) != 1 || seats[0] != seat {
			t.Fatalf("order from the API: %v", o)
		}
	}
	if !found {
		t.Fatalf("order %s is not in the API's me/orders: %s", orderID, mine.Raw)
	}
	if got := seatStatus(t, fan, "arena", seat); got != "sold" {
		t.Fatalf("after the order the API says %s is %s", seat, got)
	}
}

func testWatcherSeesHoldLive(t *testing.T, s *testServer, b *browser) {
	const seat = "C-10"
	res, err := nethttp.Get(s.URL + "/ws/events/demo")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == nethttp.StatusNotFound {
		t.Fatal("GET /ws/events/{event_id} answers 404: without the websocket the page polls every 2 s and cannot meet the 1 s bound")
	}

	watcher := b.newTab(t, "watcher", 1280, 900)
	openSection(watcher, s, "arena")
	watcher.waitFor(10*time.Second, "live updates connected", `document.getElementById('live-status').dataset.state === 'live'`)
	focusSeat(watcher, 2, 9, seat)
	if st := eval[string](watcher, `document.getElementById('seat-info').dataset.status`); st != "available" {
		t.Fatalf("%s starts %s", seat, st)
	}

	fan := b.newTab(t, "holder", 1280, 900)
	openSection(fan, s, "arena")
	signIn(fan, "live-fan")
	focusSeat(fan, 2, 9, seat)
	fan.do(chromedp.KeyEvent(kb.Enter), chromedp.Click(chromedp.CSS("#hold-btn")))
	fan.waitFor(10*time.Second, "hold panel", `!document.getElementById('hold-panel').hidden`)
	held := time.Now()

	// The watcher must see the seat turn held within one second of the fan's hold.
	if err := testenv.TryEvery(time.Until(held.Add(time.Second)), browserPoll, func() error {
		if st := eval[string](watcher, `document.getElementById('seat-info').dataset.status`); st != "held" {
			return fmt.Errorf("the watcher sees %s %s, not held, 1 s after the fan's hold (live status %q)", seat, st, watcher.text("#live-status"))
		}
		return nil
	}); err != nil {
		watcher.screenshot("watcher-late")
		t.Fatal(err)
	}
	if info := watcher.text("#seat-info"); !strings.Contains(info, "Held") {
		t.Fatalf("watcher's seat info: %q", info)
	}
	watcher.screenshot("watcher-live")
}

func testVisualizerShowsFlashSale(t *testing.T, s *testServer, b *browser) {
	admin := s.as("root", "admin")
	probe := admin.do("POST", "/api/v1/admin/flash-sale", map[string]any{})
	if probe.Status == nethttp.StatusNotFound {
		t.Fatal("POST /api/v1/admin/flash-sale answers 404")
	}

	page := b.newTab(t, "visualizer", 1440, 1000)
	page.do(chromedp.Navigate(s.URL + "/#/visualizer"))
	page.waitFor(10*time.Second, "visualizer stream connected", `document.getElementById('viz-status')?.dataset.state === 'live'`)

	run := admin.do("POST", "/api/v1/admin/flash-sale", map[string]any{
		"event_id": "demo", "section_id": "arena", "fans": 150, "seconds": 4,
	})
	want(t, run, 202, "")
	id := run.str("id")

	page.waitFor(20*time.Second, "batch commits counted", `Number(document.getElementById('viz-commits').textContent.replace(/\D/g, '')) > 0`)
	page.waitFor(10*time.Second, "arena on its node", `[...document.querySelectorAll('#nodes .chip')].some(c => c.textContent === 'demo/arena')`)
	page.waitFor(10*time.Second, "arena mailbox bar", `[...document.querySelectorAll('#mailboxes .bar-label')].some(c => c.textContent === 'demo/arena')`)

	// Every 200 ms: the status route counts against the admin's rate limit.
	testenv.EventuallyEvery(t, 30*time.Second, 200*time.Millisecond, func() error {
		st := admin.do("GET", "/api/v1/admin/flash-sale/"+id, nil)
		want(t, st, 200, "")
		if st.str("status") != "done" {
			return fmt.Errorf("flash sale %s is %q: %s", id, st.str("status"), st.Raw)
		}
		return nil
	})
	page.waitFor(5*time.Second, "throughput shown", `Number(document.getElementById('viz-decisions').textContent.replace(/\D/g, '')) > 0`)
	page.screenshot("visualizer")

	// The panel starts one too, with the admin token pasted in, and follows it to the end.
	page.do(
		chromedp.SetValue(chromedp.CSS("#admin-token"), admin.token),
		chromedp.SetValue(chromedp.CSS("#flash-fans"), "20"),
		chromedp.SetValue(chromedp.CSS("#flash-seconds"), "1"),
		chromedp.Click(chromedp.CSS("#flash-start")),
	)
	page.waitFor(20*time.Second, "flash sale done in the panel", `document.getElementById('flash-state').textContent === 'Done' && Number(document.getElementById('flash-attempts').textContent.replace(/\D/g, '')) > 0`)
	page.screenshot("visualizer-flash-panel")
}

func testPhoneLayout(t *testing.T, s *testServer, b *browser) {
	page := b.newTab(t, "phone", 390, 844)
	openSection(page, s, "arena")
	signIn(page, "phone-fan-with-a-long-name")
	noOverflow := `document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth`
	check := func(name string) {
		t.Helper()
		if !eval[bool](page, noOverflow) {
			page.screenshot("phone-overflow-" + name)
			wide := eval[string](page, `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className).join(', ')`)
			t.Fatalf("%s at 390×844 overflows horizontally: scrollWidth %d > %d; too wide: %s", name,
				eval[int](page, `document.documentElement.scrollWidth`), eval[int](page, `window.innerWidth`), wide)
		}
		page.screenshot("phone-" + name)
	}
	check("seats")

	page.route("#/events/demo/floor")
	page.waitFor(10*time.Second, "capacity shown", `!document.getElementById('ga-area').hidden && document.getElementById('capacity-text').textContent !== ''`)
	check("general-admission")

	page.route("#/orders")
	page.waitFor(10*time.Second, "orders shown", `document.querySelector('#orders-body .order-list, #orders-body .empty-state')`)
	check("orders")

	page.route("#/visualizer")
	page.waitFor(10*time.Second, "visualizer shown", `!document.getElementById('view-visualizer').hidden`)
	check("visualizer")
}

// testAPIReference opens /docs with every address but the server's unreachable: the
// page must render the document the server serves, operations and all.
func testAPIReference(t *testing.T, s *testServer, b *browser) {
	page := b.newTab(t, "reference", 1440, 1000)
	blocked := page.offline(s.URL)
	page.do(chromedp.Navigate(s.URL + "/docs"))
	page.waitFor(20*time.Second, "the document's title", `document.querySelector('.swagger-ui .info .title')?.textContent.includes('TicketBlitz API')`)
	page.waitFor(10*time.Second, "createHold listed", `document.getElementById('operations-holds-createHold') !== null`)
	if got := page.text("#operations-holds-createHold"); !strings.Contains(got, "/api/v1/events/{event_id}/holds") {
		t.Errorf("the createHold operation reads %q, want its path", got)
	}
	listed := map[string]bool{}
	for _, op := range eval[[]string](page, `[...document.querySelectorAll('.swagger-ui .opblock-summary')].map(e =>
		e.querySelector('.opblock-summary-method').textContent + ' ' + e.querySelector('.opblock-summary-path').dataset.path)`) {
		listed[op] = true
	}
	for _, r := range checker(t).Routes() {
		if !listed[r.String()] {
			t.Errorf("the page does not list %s", r)
		}
	}
	if len(listed) != len(checker(t).Routes()) {
		t.Errorf("the page lists %d operations, the document has %d: %v", len(listed), len(checker(t).Routes()), listed)
	}
	if msg := page.text("#reference-error"); msg != "" {
		t.Errorf("the page says: %s", msg)
	}
	page.screenshot("api-reference")
	if urls := blocked(); len(urls) > 0 {
		t.Errorf("the reference page reached out of the server: %v", urls)
	}
}
