package main

import (
	"fmt"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// invariantsHold is true when the visualizer shows its four invariant rows and none is
// violated (the outbox lag may be "lagging" for a moment: records wait a few ms).
const invariantsHold = `document.querySelectorAll('#invariants .invariant').length === 4 &&
	document.querySelectorAll('#invariants .invariant[data-state="violated"]').length === 0`

// chaosButton is the expression of a node's control in the chaos panel.
func chaosButton(node, action string) string {
	return fmt.Sprintf(`document.querySelector('#chaos-nodes [data-node=%q] button[data-action=%q]')`, node, action)
}

// TestBrowserChaosPanel opens the visualizer of a real "ticketblitz dev" cluster with an
// admin token: the chaos panel lists both nodes, its Pause button stops node2's process
// and shows it paused, Resume brings it back, and the slow-database switch turns on
// and off; then slow payments, the broker's pause and resume, kill -9, start, a new
// node and its drain are clicked in turn (browserChaosSwitches, browserChaosNodes).
// Then the invariant panel is fed a violating stream: a confirmed order whose
// seat is not sold and an outbox lag past its limit turn their rows red for good.
func TestBrowserChaosPanel(t *testing.T) {
	requireChromium(t)
	d := startDev(t, chaosRateLimit)
	admin := &api{t: t, base: d.url(0), token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}}
	_, pids, _ := chaosNodes(t, admin)

	b := startBrowser(t)
	page := b.newTab(t, "chaos", 1440, 1400)
	page.do(chromedp.Navigate(d.url(0) + "/#/"))
	// The fan view settles first: once its events load it rewrites the address to the
	// first event's, which would otherwise race the route to the visualizer below.
	page.waitFor(10*time.Second, "the fan view on the first event", `location.hash.startsWith('#/events/')`)
	// The page signs in as an admin with a pasted token, as the flash-sale form does.
	page.do(chromedp.Evaluate[chromedp.Void](`sessionStorage.setItem('tb.adminToken', ` + jsString(admin.token) + `)`))
	page.route("#/visualizer")
	page.waitFor(10*time.Second, "visualizer stream connected", `document.getElementById('viz-status')?.dataset.state === 'live'`)
	page.waitFor(10*time.Second, "the chaos panel with both nodes running",
		`!document.getElementById('chaos-panel').hidden && document.querySelectorAll('#chaos-nodes .chaos-node[data-state="running"]').length === 2`)
	if got := page.text(`#chaos-switches [data-switch="database"]`); !strings.Contains(got, "Watch:") {
		t.Fatalf("the slow-database control does not say what to watch: %q", got)
	}

	page.do(chromedp.Evaluate[chromedp.Void](chaosButton("node2", "pause") + `.click()`))
	page.waitFor(10*time.Second, "node2 shown paused", `document.querySelector('#chaos-nodes [data-node="node2"]')?.dataset.state === 'paused'`)
	waitProcessState(t, pids["node2"], "T")
	if !eval[bool](page, chaosButton("node2", "pause")+`.disabled && !`+chaosButton("node2", "resume")+`.disabled`) {
		t.Fatal("a paused node's Pause button is enabled or its Resume button is not")
	}
	classroomShot(page, `#chaos-panel`, "classroom-chaos-paused")
	page.do(chromedp.Evaluate[chromedp.Void](chaosButton("node2", "resume") + `.click()`))
	page.waitFor(10*time.Second, "node2 shown running again", `document.querySelector('#chaos-nodes [data-node="node2"]')?.dataset.state === 'running'`)
	waitProcessState(t, pids["node2"], "not T")

	sw := `document.querySelector('#chaos-switches [data-switch="database"]')`
	page.do(chromedp.Evaluate[chromedp.Void](sw + `.querySelector('button').click()`))
	page.waitFor(10*time.Second, "slow database on", sw+`?.dataset.state === 'on'`)
	page.do(chromedp.Evaluate[chromedp.Void](sw + `.querySelector('button').click()`))
	page.waitFor(10*time.Second, "slow database off", sw+`?.dataset.state === 'off'`)
	if !strings.Contains(d.logs.String(), "fault injected: pause node2 by root via node1") {
		t.Errorf("the supervisor did not log the click's fault with who asked\n%s", d.logs.tail(20))
	}
	began := time.Now()
	browserChaosSwitches(page, d)
	t.Logf("%.1fs: slow payments and the broker clicked", time.Since(began).Seconds())
	browserChaosNodes(page)
	t.Logf("%.1fs: kill, start, start a new node and drain clicked", time.Since(began).Seconds())

	// A violating stream: the page's next visualizer socket is wrapped so that the test
	// can hand it traces as if the stream had sent them.
	page.waitFor(10*time.Second, "invariants holding", invariantsHold)
	page.do(chromedp.Evaluate[chromedp.Void](`(() => {
		window.__sockets = [];
		const Real = window.WebSocket;
		window.WebSocket = class extends Real { constructor(...a) { super(...a); window.__sockets.push(this); } };
	})()`))
	page.route("#/")
	page.route("#/visualizer")
	page.waitFor(10*time.Second, "visualizer reconnected through the wrapped socket",
		`window.__sockets.some(s => s.url.endsWith('/ws/visualizer') && s.readyState === 1) && document.getElementById('viz-status').dataset.state === 'live'`)
	inject := func(trace string) {
		page.do(chromedp.Evaluate[chromedp.Void](`window.__sockets.filter(s => s.url.endsWith('/ws/visualizer')).at(-1).onmessage({data: JSON.stringify(` + trace + `)})`))
	}
	row := func(id string) string {
		return fmt.Sprintf(`document.querySelector('#invariants [data-invariant=%q]')`, id)
	}
	inject(`{type: 'invariant', at: new Date().toISOString(), node: 'node-x', action: 'confirmed_seats_sold', outcome: 'violated', actor: 'demo/A', reason: 'order o1 confirmed seat A-2 at version 2, which the section shows held'}`)
	page.waitFor(5*time.Second, "confirmed-seats row red", row("confirmed_seats_sold")+`?.dataset.state === 'violated'`)
	inject(`{type: 'outbox', at: new Date().toISOString(), node: 'node-x', depth: 12, ms: 61000}`)
	page.waitFor(5*time.Second, "outbox lag row red", row("outbox_lag")+`?.dataset.state === 'violated'`)
	inject(`{type: 'outbox', at: new Date().toISOString(), node: 'node-x', depth: 0, ms: 0}`)
	page.waitFor(5*time.Second, "the outbox lag back to zero shown", row("outbox_lag")+`?.textContent.includes('now 0 records waiting')`)
	for _, id := range []string{"confirmed_seats_sold", "outbox_lag"} {
		if st := eval[string](page, row(id)+`.dataset.state`); st != "violated" {
			t.Fatalf("%s row = %q after more traces, want it still violated", id, st)
		}
	}
	if st := eval[string](page, row("sold_once")+`.dataset.state`); st != "ok" {
		t.Fatalf("sold-once row = %q, want ok", st)
	}
}
