package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// testWhyNotThisSeat: one fan holds a seat; a second fan's hold of it is refused; the
// second fan, on the page, asks "Why not this seat?" and reads the seat's history: the
// other fan's hold, then their own refusal, with the attempt it rests on.
func testWhyNotThisSeat(t *testing.T, s *testServer, b *browser) {
	const seat, holder, loser = "D-5", "why-holder", "why-loser"
	body := map[string]any{"section_id": "arena", "seats": []string{seat}}
	want(t, s.as(holder, "fan").do("POST", "/api/v1/events/demo/holds", body), 201, "")
	want(t, s.as(loser, "fan").do("POST", "/api/v1/events/demo/holds", body), 409, "SEAT_UNAVAILABLE")

	tb := b.newTab(t, "why", 1280, 900)
	openSection(tb, s, "arena")
	signIn(tb, loser)
	focusSeat(tb, 3, 4, seat)
	tb.waitFor(5*time.Second, "the why button on a held seat", `!document.getElementById('why-btn').hidden`)
	tb.do(chromedp.Click(chromedp.CSS("#why-btn")))
	// The refusal's attempt may still be on its way to the log: ask again until it is there.
	if err := testenv.TryEvery(10*time.Second, browserPoll, func() error {
		tb.do(chromedp.Click(chromedp.CSS("#why-btn")))
		tb.waitFor(5*time.Second, "the history answered",
			`document.getElementById('why-panel').dataset.loaded !== undefined || document.getElementById('why-status').textContent.startsWith("Couldn")`)
		if n := eval[string](tb, `document.getElementById('why-panel').dataset.loaded || ''`); n != "2" {
			return fmt.Errorf("the history lists %q attempts, want 2 (%q)", n, tb.text("#why-status"))
		}
		return nil
	}); err != nil {
		tb.screenshot("why-history")
		t.Fatal(err)
	}
	items := eval[[]string](tb, `[...document.querySelectorAll('#why-list li')].map((li) => li.textContent)`)
	if len(items) != 2 {
		tb.screenshot("why-history")
		t.Fatalf("history of %s: %q (status %q)", seat, items, tb.text("#why-status"))
	}
	if !strings.Contains(items[0], "another fan hold") || !strings.Contains(items[0], "granted") {
		t.Errorf("first attempt reads %q, want another fan's granted hold", items[0])
	}
	if !strings.Contains(items[1], "You hold") || !strings.Contains(items[1], "refused (SEAT_UNAVAILABLE)") ||
		!strings.Contains(items[1], "held by an earlier request, #") || !strings.Contains(items[1], "before yours") {
		t.Errorf("second attempt reads %q, want your refusal naming the earlier hold", items[1])
	}
	tb.screenshot("why-history")
}
