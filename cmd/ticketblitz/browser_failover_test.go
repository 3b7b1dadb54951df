package main

import (
	"fmt"
	nethttp "net/http"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestBrowserClassroomFailoverClock runs two nodes as two processes, opens the
// visualizer on one, kills the other with SIGKILL while it hosts sections, and waits
// for the page to show the sections answering again on the survivor, with the failover
// clock's time for each, and the invariants still holding.
func TestBrowserClassroomFailoverClock(t *testing.T) {
	requireChromium(t)
	testenv.Require(t, testenv.Both())
	bin := buildPlainBinary(t)
	db := fmt.Sprintf("tb_e2e_%d_%d", os.Getpid(), dbCounter.Add(1))
	t.Cleanup(func() { dropTestDB(db) })
	broker := startBrokerProc(t, bin)
	seed := fmt.Sprintf("127.0.0.1:%d", freeLoopbackPort(t))
	common := []string{
		"TICKETBLITZ_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable",
		"TICKETBLITZ_POSTGRES_POOL=8",
		"TICKETBLITZ_KAFKA_BROKERS=" + broker,
		"TICKETBLITZ_RATE_LIMIT=100000/min",
	}
	nodes := []*nodeProc{startNodeProc(t, bin, "node1", append(common, "TICKETBLITZ_CLUSTER_BIND="+seed)...)}
	nodes[0].awaitReady(t)
	nodes = append(nodes, startNodeProc(t, bin, "node2", append(common, "TICKETBLITZ_CLUSTER_BIND=127.0.0.1:0", "TICKETBLITZ_CLUSTER_JOIN="+seed)...))
	nodes[1].awaitReady(t)

	root := &api{t: t, base: nodes[0].url, token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}}
	demo := []string{"floor", "A", "B", "arena"}
	for _, section := range demo {
		fan := fanAPI(t, nodes[0].url, "early-"+section)
		want(t, fan.do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": section, "quantity": 1}), 201, "")
	}
	var counts map[string]int
	testenv.EventuallyEvery(t, 10*time.Second, clusterPoll, func() error {
		counts, _ = sectionCounts(t, root)
		if counts["node1"]+counts["node2"] != len(demo) {
			return fmt.Errorf("section counts %v, want the %d demo sections placed", counts, len(demo))
		}
		return nil
	})
	victim, survivor := nodes[0], nodes[1]
	if counts["node2"] >= counts["node1"] {
		victim, survivor = nodes[1], nodes[0]
	}

	b := startBrowser(t)
	page := b.newTab(t, "failover", 1440, 1200)
	page.do(chromedp.Navigate(survivor.url + "/#/visualizer"))
	page.waitFor(10*time.Second, "visualizer stream connected", `document.getElementById('viz-status')?.dataset.state === 'live'`)
	page.waitFor(15*time.Second, "the victim's sections shown",
		fmt.Sprintf(`[...document.querySelectorAll('#nodes .node-card[data-node=%q] .chip')].length > 0`, victim.name))

	t.Logf("sections per node: %v; killing %s", counts, victim.name)
	victim.kill()
	// Holds on every section through the survivor: the victim's sections answer again
	// once the survivor has taken them over.
	for _, section := range demo {
		fan := fanAPI(t, survivor.url, "after-"+section)
		testenv.EventuallyEvery(t, 60*time.Second, 200*time.Millisecond, func() error {
			if r := fan.do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": section, "quantity": 1}); r.Status != 201 {
				return fmt.Errorf("hold in %s through %s: %d %s", section, survivor.name, r.Status, r.Raw)
			}
			return nil
		})
	}
	page.waitFor(30*time.Second, "the failover clock timed a takeover", `document.querySelectorAll('#failover-list time').length > 0`)
	page.waitFor(10*time.Second, "the moved sections shown on the survivor",
		fmt.Sprintf(`[...document.querySelectorAll('#nodes .node-card[data-node=%q] .chip')].length === %d`, survivor.name, len(demo)))
	page.waitFor(5*time.Second, "invariants holding", invariantsHold)
	classroomShot(page, `section[aria-labelledby="inv-title"]`, "classroom-failover-clock")
	classroomShot(page, `#nodes`, "classroom-failover-nodes")
}
