package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// The fan page follows a ticket (opens /ws/queue/{ticket_id} or reads it) only once the
// follow_after_ms of the last ticket it received has passed.

// hintSlack is how much sooner than a hint the test lets a follow be heard: the events
// of the page's network reach the test a little apart from when they happened.
const hintSlack = 250 * time.Millisecond

// hintRoom is a server, a browser and an event of the server with a waiting room.
type hintRoom struct {
	s     *testServer
	b     *browser
	admin *api
	ev    string // the event's id
	path  string // the room's path
}

// newHintRoom starts a server and a browser and creates a general admission event of
// capacity seats whose room admits rate fans a second and opens in an hour.
func newHintRoom(t *testing.T, name string, capacity, rate int) *hintRoom {
	t.Helper()
	requireChromium(t)
	s := startServer(t)
	r := &hintRoom{s: s, b: startBrowser(t), admin: s.as("root", "admin")}
	created := r.admin.do("POST", "/api/v1/events", map[string]any{"name": name, "venue": "Club",
		"starts_at": "2027-06-01T20:00:00Z", "currency": "USD",
		"sections": []any{map[string]any{"id": "floor", "name": "Floor", "kind": "general_admission", "price_cents": 1500, "capacity": capacity}}})
	want(t, created, 201, "")
	r.ev = created.str("id")
	r.path = "/api/v1/events/" + r.ev + "/waiting-room"
	want(t, r.admin.do("PUT", r.path, map[string]any{"enabled": true, "admit_per_s": rate,
		"opens_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}), 200, "")
	return r
}

// fanPage opens the event in a new tab whose network it records, once prepare (if any)
// has set the tab up, and waits until the room asks the fan to sign in.
func (r *hintRoom) fanPage(t *testing.T, prepare func(*tab)) (*tab, *netLog) {
	t.Helper()
	page := r.b.newTab(t, "fan", 1280, 900)
	traffic := page.recordNetwork()
	if prepare != nil {
		prepare(page)
	}
	page.do(chromedp.Navigate(r.s.URL + "/#/events/" + r.ev))
	page.waitFor(10*time.Second, "the waiting room asks to sign in", `!document.getElementById('queue-area').hidden`)
	return page, traffic
}

// pollingFan queues early fans through the API, opens a fan page whose queue websocket
// is blocked, opens the room at rate fans a second and signs the page in as user, which
// joins the queue: the page, its traffic and the join's exchange.
func (r *hintRoom) pollingFan(t *testing.T, early, rate int, user string) (*tab, *netLog, exchange) {
	t.Helper()
	for i := range early {
		want(t, r.s.as(fmt.Sprintf("early-%d", i), "fan").do("POST", "/api/v1/events/"+r.ev+"/queue", nil), 201, "")
	}
	page, traffic := r.fanPage(t, func(page *tab) { page.breakWebsockets("/ws/queue/") })
	want(t, r.admin.do("PUT", r.path, map[string]any{"enabled": true, "admit_per_s": rate}), 200, "")
	signIn(page, user)
	return page, traffic, traffic.waitAnswer(10*time.Second, "POST", "/api/v1/events/"+r.ev+"/queue")
}

// follow is the page starting to follow its ticket: a websocket or a read.
type follow struct {
	at   time.Time
	what string
}

// toldTicket is what one answer told the page: the ticket's status and how long to wait
// before following it, from when the answer arrived.
type toldTicket struct {
	at     time.Time
	status string
	hint   time.Duration
	body   string
}

// told reads the ticket an answer of the page carried; it must have follow_after_ms.
func told(t *testing.T, traffic *netLog, ex exchange) toldTicket {
	t.Helper()
	body := traffic.body(ex.id)
	var tk struct {
		Status        string `json:"status"`
		FollowAfterMS *int64 `json:"follow_after_ms"`
	}
	if err := json.Unmarshal([]byte(body), &tk); err != nil {
		t.Fatalf("%s %s: %v: %s", ex.method, ex.url, err, body)
	}
	if tk.FollowAfterMS == nil || *tk.FollowAfterMS < 0 {
		t.Fatalf("%s %s: want a ticket with follow_after_ms ≥ 0: %s", ex.method, ex.url, body)
	}
	return toldTicket{at: ex.finished, status: tk.Status, hint: time.Duration(*tk.FollowAfterMS) * time.Millisecond, body: body}
}

// TestBrowserQueueWaitsForHint has a fan join a room that opens about 8 s later. The
// join answer tells the page to follow the ticket only after follow_after_ms: the page
// shows the place and an ETA that counts down at once, opens no queue websocket and
// reads no ticket before that time has passed, then follows the ticket over the
// websocket, and shows the seat map once the room opened and admitted the fan.
func TestBrowserQueueWaitsForHint(t *testing.T) {
	room := newHintRoom(t, "Hint Night", 100, 20)
	page, traffic := room.fanPage(t, nil)

	// The room opens 8 s from now; signing in joins the queue.
	opens := time.Now().Add(8 * time.Second)
	want(t, room.admin.do("PUT", room.path, map[string]any{"enabled": true, "admit_per_s": 20,
		"opens_at": opens.UTC().Format(time.RFC3339Nano)}), 200, "")
	signIn(page, "hint-fan")
	joined := traffic.waitAnswer(10*time.Second, "POST", "/api/v1/events/"+room.ev+"/queue")

	// The place and the ETA show at once.
	waiting := `!document.getElementById('queue-area').hidden && document.getElementById('queue-position').textContent.startsWith('#')` +
		` && document.getElementById('queue-eta').textContent.startsWith('~')`
	page.waitFor(2*time.Second, "the place and the ETA", waiting)
	ticket := told(t, traffic, joined)
	if ticket.status != "waiting" || ticket.hint < 2*time.Second {
		t.Fatalf("the join's answer, %.1f s before the opening: want a waiting ticket with follow_after_ms ≥ 2000: %s",
			opens.Sub(joined.finished).Seconds(), ticket.body)
	}
	t.Logf("joined %.1f s before the opening; follow_after_ms %d", opens.Sub(joined.finished).Seconds(), ticket.hint.Milliseconds())

	// The ETA counts down from the answer.
	eta := page.text("#queue-eta")
	page.waitFor(3*time.Second, "the ETA counts down", `document.getElementById('queue-eta').textContent !== `+jsString(eta))
	page.screenshot("queue-hint-waiting")

	// The page follows the ticket once the hint passed, over the websocket first.
	var first follow
	err := testenv.TryEvery(ticket.hint+ticket.hint/10+5*time.Second, browserPoll, func() error {
		var seen []follow
		for _, ws := range traffic.websockets("/ws/queue/") {
			seen = append(seen, follow{ws.at, "websocket " + ws.url})
		}
		for _, ex := range traffic.exchanges("GET", "/api/v1/queue/") {
			seen = append(seen, follow{ex.sent, "GET " + ex.url})
		}
		if len(seen) == 0 {
			return fmt.Errorf("the page does not follow its ticket")
		}
		first = slices.MinFunc(seen, func(a, b follow) int { return a.at.Compare(b.at) })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after := first.at.Sub(joined.finished)
	if after < ticket.hint-hintSlack {
		t.Fatalf("the page followed its ticket %v after the join's answer (%s), before follow_after_ms %v",
			after.Round(time.Millisecond), first.what, ticket.hint)
	}
	t.Logf("the page followed its ticket %v after the join's answer: %s", after.Round(time.Millisecond), first.what)
	if len(traffic.exchanges("GET", "/api/v1/queue/")) > 0 && len(traffic.websockets("/ws/queue/")) == 0 {
		t.Fatal("the page read its ticket rather than opening the websocket first")
	}

	// Admitted after the opening: the seat map.
	admitted := `document.getElementById('queue-area').hidden && !document.getElementById('ga-area').hidden`
	page.waitFor(20*time.Second, "admitted: the seat map", admitted)
	if now := time.Now(); now.Before(opens) {
		t.Fatalf("admitted %v before the opening", opens.Sub(now))
	}
	page.screenshot("queue-hint-admitted")
}

// TestBrowserQueuePollsAfterHint puts a fan far back in an open room and blocks the
// queue websocket: the page polls the ticket instead, each read waiting up to 2 s for
// the ticket's change (wait_ms=2000), and neither a read nor another
// try of the websocket comes sooner after a ticket than its follow_after_ms, the join
// answer's or a read's. The fan is admitted in its turn and sees the seat map.
func TestBrowserQueuePollsAfterHint(t *testing.T) {
	room := newHintRoom(t, "Poll Night", 2000, 20)
	// 500 fans queued before ours: at 20 fans a second the room tells the fans further
	// back to wait seconds between reads, longer than the page's 2 s poll.
	page, traffic, joined := room.pollingFan(t, 500, 20, "poll-fan")
	admitted := `document.getElementById('queue-area').hidden && !document.getElementById('ga-area').hidden`
	page.waitFor(60*time.Second, "admitted: the seat map", admitted)
	page.screenshot("queue-polled-admitted")

	// What the page was told, and when it came back.
	tickets := []toldTicket{told(t, traffic, joined)}
	reads := traffic.exchanges("GET", "/api/v1/queue/")
	for _, ex := range reads {
		if !ex.finished.IsZero() {
			tickets = append(tickets, told(t, traffic, ex))
		}
	}
	slices.SortFunc(tickets, func(a, b toldTicket) int { return a.at.Compare(b.at) })
	var follows []follow
	sockets := traffic.websockets("/ws/queue/")
	for _, ws := range sockets {
		follows = append(follows, follow{ws.at, "websocket"})
	}
	for _, ex := range reads {
		follows = append(follows, follow{ex.sent, "read"})
	}
	slices.SortFunc(follows, func(a, b follow) int { return a.at.Compare(b.at) })
	if len(sockets) == 0 || len(reads) < 2 {
		t.Fatalf("%d websockets tried, %d reads: want the websocket tried and the ticket polled", len(sockets), len(reads))
	}
	for _, ex := range reads {
		if !strings.Contains(ex.url, "wait_ms=2000") {
			t.Fatalf("read %s: want each read to wait up to 2 s for the ticket's change (wait_ms=2000)", ex.url)
		}
	}
	longest := time.Duration(0) // the longest wait a read told that the page kept to
	for _, f := range follows {
		i := -1
		for j, tk := range tickets {
			if tk.at.Before(f.at) {
				i = j
			}
		}
		if i < 0 {
			t.Fatalf("the page followed its ticket (%s) before the join's answer", f.what)
		}
		last := tickets[i]
		if since := f.at.Sub(last.at); since < last.hint-hintSlack {
			t.Fatalf("%s %v after a ticket that said follow_after_ms %d: %s", f.what, since.Round(time.Millisecond), last.hint.Milliseconds(), last.body)
		}
		if i > 0 {
			longest = max(longest, last.hint)
		}
	}
	t.Logf("%d reads, %d websockets tried; the join said %d ms, the longest a read said %d ms",
		len(reads), len(sockets), tickets[0].hint.Milliseconds(), longest.Milliseconds())
	if longest <= 2500*time.Millisecond {
		t.Fatalf("no read told the page to wait longer than its 2 s poll (the longest %v): the room moved too fast to show the page keeps to it", longest)
	}
}

// TestBrowserQueueReadsSoldOutEvery2s blocks the queue websocket of a fan beyond the
// seats: the page follows its ticket with reads that wait for its change, hears the
// sale sold out, shows it so (not a place in a moving queue), and goes on reading it
// (seats may return) every 2 s, not in a loop: the server answers a ticket that no
// longer waits at once, whatever wait_ms says.
func TestBrowserQueueReadsSoldOutEvery2s(t *testing.T) {
	// 20 fans queued before ours; the room admits 2 a second for its 8 seats.
	room := newHintRoom(t, "Sold Night", 8, 2)
	page, traffic, joined := room.pollingFan(t, 20, 2, "late-fan")
	if tk := told(t, traffic, joined); tk.status != "waiting" {
		t.Fatalf("the join answered %s: want the fan waiting, to follow its ticket", tk.body)
	}
	page.waitFor(30*time.Second, "sold out", `document.getElementById('queue-area').dataset.status === 'sold_out'`)
	// The page says so, and no longer counts fans ahead or a wait down.
	if title, status := page.text("#queue-title"), page.text("#queue-status"); title != "Sold out" || strings.Contains(status, "ahead") {
		t.Fatalf("a sold-out ticket shows %q / %q: want the title \"Sold out\" and no fans ahead", title, status)
	}
	if eta := page.text("#queue-eta"); eta != "—" {
		t.Fatalf("a sold-out ticket shows the wait %q: want none", eta)
	}
	// The visualizer's card of the room says so too, with the last position still
	// waiting for a seat.
	viz := room.b.newTab(t, "visualizer", 1440, 1000)
	viz.do(chromedp.Navigate(room.s.URL + "/#/visualizer"))
	card := `document.querySelector('#rooms .room-card[data-event=` + jsString(room.ev) + `]')`
	viz.waitFor(10*time.Second, "the room sold out in the visualizer",
		card+` && /^sold out( after #[0-9,]+)?$/.test(`+card+`.querySelector('.badge-sold-out')?.textContent ?? '')`)
	viz.do(chromedp.ScrollIntoView(chromedp.CSS("#rooms-title")))
	viz.screenshot("queue-visualizer-sold-out")
	before := len(traffic.exchanges("GET", "/api/v1/queue/"))
	time.Sleep(5 * time.Second)
	reads := traffic.exchanges("GET", "/api/v1/queue/")
	if n := len(reads) - before; n < 1 || n > 4 {
		t.Fatalf("%d reads of the sold-out ticket in 5 s: want one every 2 s", n)
	}
	for _, ex := range reads {
		if !strings.Contains(ex.url, "wait_ms=2000") {
			t.Fatalf("read %s: want wait_ms=2000", ex.url)
		}
	}
	page.screenshot("queue-sold-out-polled")
}
