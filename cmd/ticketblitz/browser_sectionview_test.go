package main

import (
	"bytes"
	"fmt"
	nethttp "net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// TestBrowserClassroomSectionView opens the visualizer of a classroom node, clicks a section in
// "Nodes and sections", pastes an admin token into the section view, pauses the section,
// watches two holds sent meanwhile queue in its mailbox, steps one (held, the other still
// queued) and resumes (the other held too).
func TestBrowserClassroomSectionView(t *testing.T) {
	requireChromium(t)
	s := startServer(t, "TICKETBLITZ_CLASSROOM=true")
	b := startBrowser(t)
	want(t, s.as("first-fan", "fan").do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": "A", "quantity": 1}), 201, "")

	page := b.newTab(t, "sectionview", 1440, 1400)
	page.do(chromedp.Navigate(s.URL + "/#/visualizer"))
	page.waitFor(10*time.Second, "visualizer stream connected", `document.getElementById('viz-status')?.dataset.state === 'live'`)
	page.waitFor(15*time.Second, "section A listed", `document.querySelector('#nodes [data-section="demo/A"]')`)
	// Clicked from the page itself: the list is drawn again with every cluster update, and
	// a node looked up first and clicked after may no longer be in it.
	page.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#nodes [data-section="demo/A"]').click()`))
	page.waitFor(5*time.Second, "the section view asks for a token", `!document.getElementById('section-view').hidden && !document.getElementById('sv-token-form').hidden`)

	tok, _, err := tbhttp.IssueToken([]byte(devJWTSecret), "root", "admin", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	page.do(chromedp.SetValue(chromedp.CSS(`#sv-token`), tok), chromedp.Click(chromedp.CSS(`#sv-token-use`)))
	page.waitFor(10*time.Second, "the live actor shown", `document.getElementById('sv-node')?.textContent !== '' && document.getElementById('sv-holds')?.textContent === '1'`)
	page.waitFor(10*time.Second, "classroom controls", `!document.getElementById('sv-controls').hidden`)

	page.do(chromedp.Click(chromedp.CSS(`#sv-pause`)))
	page.waitFor(5*time.Second, "paused", `document.getElementById('section-view').dataset.paused === 'true' && document.querySelector('#nodes .chip-paused[data-section="demo/A"]')`)

	answers := make([]chan int, 2)
	for i := range answers {
		answers[i] = make(chan int, 1)
		user := fmt.Sprintf("queued-%d", i)
		fan, _, err := tbhttp.IssueToken([]byte(devJWTSecret), user, "fan", time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		go func(ch chan int) {
			req, _ := nethttp.NewRequest("POST", s.URL+"/api/v1/events/demo/holds", bytes.NewReader([]byte(`{"section_id":"A","quantity":1}`)))
			req.Header.Set("Authorization", "Bearer "+fan)
			req.Header.Set("Content-Type", "application/json")
			res, err := (&nethttp.Client{Timeout: 30 * time.Second}).Do(req)
			if err != nil {
				ch <- 0
				return
			}
			res.Body.Close()
			ch <- res.StatusCode
		}(answers[i])
		// In order: the first one queued first.
		page.waitFor(3*time.Second, "hold queued", fmt.Sprintf(`[...document.querySelectorAll('#sv-messages li[data-type="Hold"]')].some(li => li.textContent.includes(%q))`, user))
	}
	page.waitFor(3*time.Second, "both holds queued", `document.querySelectorAll('#sv-messages li[data-type="Hold"]').length === 2 && document.getElementById('sv-depth').textContent === '2'`)

	page.do(chromedp.Click(chromedp.CSS(`#sv-step`)))
	if status := <-answers[0]; status != 201 {
		t.Fatalf("the stepped hold answered %d, want 201; the server's log ends:\n%s", status, s.logs.tail(40))
	}
	page.waitFor(3*time.Second, "one decided, one still queued", `document.getElementById('sv-holds').textContent === '2' && document.querySelectorAll('#sv-messages li[data-type="Hold"]').length === 1 && document.getElementById('section-view').dataset.paused === 'true'`)
	classroomShot(page, `#section-view`, "classroom-section-view")
	select {
	case status := <-answers[1]:
		t.Fatalf("the hold still queued answered %d", status)
	default:
	}

	page.do(chromedp.Click(chromedp.CSS(`#sv-resume`)))
	if status := <-answers[1]; status != 201 {
		t.Fatalf("the resumed hold answered %d, want 201; the server's log ends:\n%s", status, s.logs.tail(40))
	}
	page.waitFor(5*time.Second, "resumed", `document.getElementById('section-view').dataset.paused === 'false' && document.getElementById('sv-holds').textContent === '3' && !document.querySelector('#nodes .chip-paused')`)
}
