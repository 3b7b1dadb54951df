package main

import (
	"fmt"
	nethttp "net/http"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// chaosSwitch is the expression of a cluster-wide switch of the chaos panel.
func chaosSwitch(id string) string {
	return fmt.Sprintf(`document.querySelector('#chaos-switches [data-switch=%q]')`, id)
}

// chaosRow is the expression of a node's row in the chaos panel.
func chaosRow(node string) string {
	return fmt.Sprintf(`document.querySelector('#chaos-nodes [data-node=%q]')`, node)
}

// nodeCard is the expression of a node's card in the visualizer's Nodes panel.
func nodeCard(node string) string {
	return fmt.Sprintf(`document.querySelector('#nodes .node-card[data-node=%q]')`, node)
}

// outboxRow is the expression of the outbox-lag row of the invariant panel.
const outboxRow = `document.querySelector('#invariants [data-invariant="outbox_lag"]')`

// clickChaos clicks a control of the chaos panel once the panel is not busy with an
// earlier click (a busy panel ignores clicks).
func clickChaos(page *tab, button string) {
	page.t.Helper()
	page.waitFor(10*time.Second, "the control "+button+" enabled", button+` && !`+button+`.disabled`)
	page.do(chromedp.Evaluate[chromedp.Void](button + `.click()`))
}

// browserChaosSwitches clicks slow payments on and off, and pauses and resumes the
// broker while a hold commits: the switches show their state and delay, and the
// outbox-lag row turns amber while records wait and back once they are published.
func browserChaosSwitches(page *tab, d *devCluster) {
	t := page.t
	t.Helper()
	pay := chaosSwitch("payments")
	clickChaos(page, pay+`.querySelector('button')`)
	page.waitFor(10*time.Second, "slow payments on with its delay",
		pay+`?.dataset.state === 'on' && `+pay+`.querySelector('.chaos-now')?.textContent.includes('every charge takes 500 ms more')`)
	if got := eval[string](page, pay+`.querySelector('button').textContent`); !strings.HasPrefix(got, "Undo:") {
		t.Fatalf("slow payments on, its button says %q", got)
	}
	clickChaos(page, pay+`.querySelector('button')`)
	page.waitFor(10*time.Second, "slow payments off", pay+`?.dataset.state === 'off' && !`+pay+`.querySelector('.chaos-now')`)

	fanTok, _, err := tbhttp.IssueToken([]byte(devJWTSecret), "chaos-browser-fan", "fan", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	fan := &api{t: t, base: d.url(0), token: fanTok, c: &nethttp.Client{Timeout: 30 * time.Second}}
	broker := chaosSwitch("broker")
	page.waitFor(10*time.Second, "the outbox-lag row holding", outboxRow+`?.dataset.state === 'ok'`)
	clickChaos(page, broker+`.querySelector('button')`)
	page.waitFor(10*time.Second, "the broker shown paused",
		broker+`?.dataset.state === 'on' && `+broker+`.querySelector('.chaos-now')?.textContent.includes('the broker is paused')`)
	timedHold(t, fan, "A") // a hold and its release: records that wait in the outbox
	// Published at once the records wait milliseconds; held back by the paused broker,
	// the oldest waits seconds.
	page.waitFor(15*time.Second, "the outbox-lag row amber while the broker is paused",
		outboxRow+`?.dataset.state === 'lagging' && /now [1-9]\d* records? waiting, oldest [1-9]\d*\.\d s/.test(`+outboxRow+`.textContent)`)
	clickChaos(page, broker+`.querySelector('button')`)
	page.waitFor(10*time.Second, "the broker shown serving", broker+`?.dataset.state === 'off' && !`+broker+`.querySelector('.chaos-now')`)
	page.waitFor(30*time.Second, "the outbox-lag row back to holding once the relay caught up",
		outboxRow+`?.dataset.state === 'ok' && `+outboxRow+`.textContent.includes('now 0 records waiting')`)
}

// browserChaosNodes kills node2 (the chaos panel shows it killed, the Nodes panel shows
// it leave), starts it again (running, back in the Nodes panel), starts a new node
// (node3 appears in both panels) and drains it (exited, and it leaves the Nodes panel:
// left, or dead when its leave did not reach node1 before it exited).
func browserChaosNodes(page *tab) {
	page.t.Helper()
	clickChaos(page, chaosButton("node2", "kill"))
	page.waitFor(10*time.Second, "node2 shown killed", chaosRow("node2")+`?.dataset.state === 'killed' && `+
		chaosRow("node2")+`.querySelector('.chaos-state').textContent === 'killed' && `+chaosButton("node2", "kill")+`.disabled`)
	page.waitFor(30*time.Second, "node2 gone from the Nodes panel", `!`+nodeCard("node2")+` || ['left', 'dead'].includes(`+nodeCard("node2")+`.dataset.status)`)

	clickChaos(page, chaosButton("node2", "start"))
	page.waitFor(60*time.Second, "node2 shown running again", chaosRow("node2")+`?.dataset.state === 'running' && !`+chaosButton("node2", "kill")+`.disabled`)
	page.waitFor(60*time.Second, "node2 back in the Nodes panel", nodeCard("node2")+`?.dataset.status === 'alive'`)

	clickChaos(page, `document.querySelector('#chaos-nodes button[data-action="start-new"]')`)
	page.waitFor(60*time.Second, "node3 in the chaos panel, running", chaosRow("node3")+`?.dataset.state === 'running'`)
	page.waitFor(60*time.Second, "node3 in the Nodes panel", nodeCard("node3")+`?.dataset.status === 'alive'`)

	clickChaos(page, chaosButton("node3", "drain"))
	page.waitFor(60*time.Second, "node3 shown exited after its drain", chaosRow("node3")+`?.dataset.state === 'exited' && !`+chaosButton("node3", "start")+`.disabled`)
	page.waitFor(30*time.Second, "node3 leaving the Nodes panel", `!`+nodeCard("node3")+` || ['left', 'dead'].includes(`+nodeCard("node3")+`.dataset.status)`)
	page.t.Logf("node3 in the Nodes panel after its drain: %q", eval[string](page, nodeCard("node3")+`?.dataset.status ?? 'gone'`))
}
