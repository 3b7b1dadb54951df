package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestBrowserReplay runs a small flash sale on section A, then queues three holds while
// the section is paused, opens the visualizer's replay panel on it, checks the mailbox as
// it was when the first queued hold was decided (the other two, oldest first), scrubs to
// the end and checks that the seat map drawn from the record is the live one, then plays
// the sale back at 100× to the end.
func TestBrowserReplay(t *testing.T) {
	requireChromium(t)
	s := startServer(t, "TICKETBLITZ_CLASSROOM=true")
	b := startBrowser(t)
	admin := s.as("root", "admin")

	run := admin.do("POST", "/api/v1/admin/flash-sale", map[string]any{
		"event_id": "demo", "section_id": "A", "fans": 60, "seconds": 2,
	})
	want(t, run, 202, "")
	id := run.str("id")
	testenv.EventuallyEvery(t, 30*time.Second, 200*time.Millisecond, func() error {
		st := admin.do("GET", "/api/v1/admin/flash-sale/"+id, nil)
		want(t, st, 200, "")
		if st.str("status") != "done" {
			return fmt.Errorf("flash sale %s is %q", id, st.str("status"))
		}
		return nil
	})
	queued := queueWhilePaused(t, s, admin, "A", 3)
	step := recordStepOf(t, admin, "A", queued[0])
	held, sold := liveStatuses(t, admin, "A")
	if len(held)+len(sold) == 0 {
		t.Fatal("the flash sale took no seat")
	}

	page := b.newTab(t, "replay", 1440, 1400)
	page.do(chromedp.Navigate(s.URL + "/#/visualizer"))
	page.waitFor(10*time.Second, "replay pickers filled", `[...document.querySelectorAll('#replay-section option')].some(o => o.value === 'A')`)
	page.do(
		chromedp.SetValue(chromedp.CSS("#admin-token"), admin.token),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('admin-token').dispatchEvent(new Event('change'))`),
		chromedp.SetValue(chromedp.CSS("#replay-event"), "demo"),
		chromedp.SetValue(chromedp.CSS("#replay-section"), "A"),
		// A click from script: the sticky header may cover the button where it scrolls to.
		chromedp.Evaluate[chromedp.Void](`document.getElementById('replay-load').click()`),
	)
	page.waitFor(15*time.Second, "record loaded", `document.getElementById('replay-panel').dataset.loaded > 0`)
	total := eval[string](page, `document.getElementById('replay-panel').dataset.loaded`)
	if got := eval[string](page, `document.getElementById('replay-panel').dataset.step`); got != "0" {
		t.Fatalf("the replay starts at step %s, want 0", got)
	}
	if n := eval[string](page, `document.getElementById('replay-mailbox').dataset.count`); n == "0" {
		t.Errorf("before the first decision the mailbox panel lists nothing")
	}
	if got := eval[string](page, `document.getElementById('replay-counts').dataset.held + document.getElementById('replay-counts').dataset.sold`); got != "" {
		t.Errorf("before the first decision the map has seats taken: %q", got)
	}

	// The step that decided the first queued hold: the two after it were waiting.
	page.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.getElementById('replay-scrub'); s.value = %d; s.dispatchEvent(new Event('input')); })()`, step)))
	page.waitFor(5*time.Second, "the first queued hold's step", fmt.Sprintf(`document.getElementById('replay-panel').dataset.step === '%d'`, step))
	mailbox := eval[[]string](page, `[...document.querySelectorAll('#replay-mailbox li[data-seq]')].map(li => li.textContent)`)
	if mode := eval[string](page, `document.getElementById('replay-mailbox').dataset.mode`); mode != "arrivals" || len(mailbox) < 2 ||
		!strings.Contains(mailbox[0], queued[1]) || !strings.Contains(mailbox[1], queued[2]) {
		page.screenshot("replay-mailbox")
		t.Fatalf("the mailbox at step %d (%s): %q; want the holds of %s then %s", step, mode, mailbox, queued[1], queued[2])
	}
	if !strings.Contains(mailbox[0], "waiting") {
		t.Errorf("the mailbox does not say how long a command had waited: %q", mailbox[0])
	}
	page.screenshot("replay-mailbox")

	// Scrub to the end.
	page.do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('replay-scrub'); s.value = s.max; s.dispatchEvent(new Event('input')); })()`))
	page.waitFor(5*time.Second, "the last step", `document.getElementById('replay-panel').dataset.step === `+jsString(total))
	checkReplayMap(t, page, held, sold)
	page.screenshot("replay-end")

	// Back to the start, then play at 100×.
	page.do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('replay-scrub'); s.value = 0; s.dispatchEvent(new Event('input')); })()`))
	page.waitFor(5*time.Second, "back at step 0", `document.getElementById('replay-panel').dataset.step === '0'`)
	page.do(
		chromedp.SetValue(chromedp.CSS("#replay-speed"), "100"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('replay-play').click()`),
	)
	page.waitFor(5*time.Second, "playing", `document.getElementById('replay-panel').dataset.playing === 'true' || document.getElementById('replay-panel').dataset.step === `+jsString(total))
	page.waitFor(30*time.Second, "played to the end", `document.getElementById('replay-panel').dataset.step === `+jsString(total)+
		` && document.getElementById('replay-panel').dataset.playing === undefined`)
	checkReplayMap(t, page, held, sold)
	if cur := page.text("#replay-current"); !strings.HasPrefix(cur, "#") {
		t.Errorf("the last step reads %q", cur)
	}
}

// liveStatuses returns the held and the sold seats of a demo section, sorted.
func liveStatuses(t *testing.T, a *api, section string) (held, sold []string) {
	t.Helper()
	m := a.do("GET", "/api/v1/events/demo/sections/"+section+"/seats", nil)
	want(t, m, 200, "")
	for _, raw := range m.Body["seats"].([]any) {
		st := raw.(map[string]any)
		switch st["status"] {
		case "held":
			held = append(held, st["id"].(string))
		case "sold":
			sold = append(sold, st["id"].(string))
		}
	}
	slices.Sort(held)
	slices.Sort(sold)
	return held, sold
}

// checkReplayMap compares the replay's seat map with the live held and sold seats.
func checkReplayMap(t *testing.T, page *tab, held, sold []string) {
	t.Helper()
	gotHeld := eval[string](page, `document.getElementById('replay-counts').dataset.held`)
	gotSold := eval[string](page, `document.getElementById('replay-counts').dataset.sold`)
	if gotHeld != strings.Join(held, ",") || gotSold != strings.Join(sold, ",") {
		page.screenshot("replay-mismatch")
		t.Fatalf("the replay's map at the end: held %q, sold %q; live: held %q, sold %q", gotHeld, gotSold, strings.Join(held, ","), strings.Join(sold, ","))
	}
}
