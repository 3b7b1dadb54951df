package main

import (
	"encoding/json"
	"errors"
	"fmt"
	nethttp "net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tbhttp "github.com/ticketblitz/ticketblitz/http"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// failoverSections is how many sections the failover test spreads over three nodes.
const failoverSections = 12

// The log lines of a failover, as the survivors write them.
const (
	// msgMemberLost starts the loss's line, whether failure detection declared the member
	// dead or its port refused connections first.
	msgMemberLost  = "member lost"
	msgTakeover    = "took the section over from an owner that did not hand it over"
	msgNoise       = "peer connection failures while the membership changed (library errors counted, logged at debug level)"
	msgRetriedOK   = "requests retried after a membership change; all answered"
	msgRetriedSome = "requests retried after a membership change; some were not answered"
)

// TestFailoverLogs runs three nodes as separate processes, makes holds in every section,
// kills the node hosting the most sections with SIGKILL while fans keep holding through
// the other two, and reads the survivors' logs: a failover the cluster handles by itself
// is no error. Each survivor logs the member lost once, each section taken over at most
// once, the libraries' connection failures as one summary, and no ERROR line at all.
func TestFailoverLogs(t *testing.T) {
	testenv.Require(t, testenv.Both())
	bin := buildPlainBinary(t) // several nodes talking: see buildPlainBinary
	db := fmt.Sprintf("tb_e2e_%d_%d", os.Getpid(), dbCounter.Add(1))
	t.Cleanup(func() { dropTestDB(db) })
	broker := startBrokerProc(t, bin)
	seed := fmt.Sprintf("127.0.0.1:%d", freeLoopbackPort(t))
	common := []string{
		"TICKETBLITZ_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable",
		"TICKETBLITZ_POSTGRES_POOL=8",
		"TICKETBLITZ_KAFKA_BROKERS=" + broker,
		"TICKETBLITZ_RATE_LIMIT=100000/min",
		"TICKETBLITZ_SEED_DEMO=false",
	}
	nodes := []*nodeProc{startNodeProc(t, bin, "node1", append(common, "TICKETBLITZ_CLUSTER_BIND="+seed)...)}
	nodes[0].awaitReady(t) // it creates and migrates the database
	for _, name := range []string{"node2", "node3"} {
		nodes = append(nodes, startNodeProc(t, bin, name,
			append(common, "TICKETBLITZ_CLUSTER_BIND=127.0.0.1:0", "TICKETBLITZ_CLUSTER_JOIN="+seed)...))
	}
	for _, n := range nodes[1:] {
		n.awaitReady(t)
	}
	began := time.Now()

	root := &api{t: t, base: nodes[0].url, token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}}
	testenv.EventuallyEvery(t, 20*time.Second, clusterPoll, func() error {
		if _, statuses := sectionCounts(t, root); len(statuses) != 3 {
			return fmt.Errorf("node1 sees %v", statuses)
		}
		return nil
	})
	var sections []any
	for i := range failoverSections {
		sections = append(sections, map[string]any{"id": fmt.Sprintf("s%02d", i), "name": fmt.Sprintf("S%02d", i),
			"kind": "general_admission", "price_cents": 500, "capacity": 1000})
	}
	ev := root.do("POST", "/api/v1/events", map[string]any{
		"name": "Failover", "venue": "Hall", "starts_at": "2027-03-01T20:00:00Z", "currency": "USD", "sections": sections,
	})
	want(t, ev, 201, "")
	eventID := ev.str("id")
	for i := range failoverSections {
		fan := fanAPI(t, nodes[0].url, fmt.Sprintf("early-%02d", i))
		want(t, fan.do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": fmt.Sprintf("s%02d", i), "quantity": 1}), 201, "")
	}
	var counts map[string]int
	// Each node gossips its section count (memberlist metadata, at most once a
	// countRefreshInterval); with the suite's packages and the race detector sharing two
	// cores, a node's count once took more than 10 s to reach node1 (node3: 0 of its 5).
	testenv.EventuallyEvery(t, 20*time.Second, clusterPoll, func() error {
		counts, _ = sectionCounts(t, root)
		if n := counts["node1"] + counts["node2"] + counts["node3"]; n != failoverSections {
			return fmt.Errorf("section counts %v: %d sections on the three nodes, want %d", counts, n, failoverSections)
		}
		return nil
	})
	victim := nodes[0]
	for _, n := range nodes {
		if counts[n.name] > counts[victim.name] {
			victim = n
		}
	}
	var survivors []*nodeProc
	for _, n := range nodes {
		if n != victim {
			survivors = append(survivors, n)
		}
	}
	t.Logf("sections per node: %v; killing %s", counts, victim.name)

	load := startFailoverLoad(survivors, eventID)
	testenv.Eventually(t, 10*time.Second, func() error {
		if n := load.sent.Load(); n < 2*failoverSections {
			return fmt.Errorf("%d holds sent before the kill", n)
		}
		return nil
	})
	victim.kill()
	killed := time.Now()
	took := testenv.EventuallyEvery(t, 30*time.Second, clusterPoll, func() error {
		if missing := load.unansweredSince(killed); len(missing) > 0 {
			return fmt.Errorf("no hold answered since the kill in sections %v", missing)
		}
		for _, s := range survivors {
			a := &api{t: t, base: s.url, token: root.token, c: root.c}
			if _, statuses := sectionCounts(t, a); statuses[victim.name] != "dead" {
				return fmt.Errorf("%s sees %s as %q", s.name, victim.name, statuses[victim.name])
			}
		}
		return nil
	})
	sent, failures := load.stop()
	t.Logf("every section answered from the survivors %v after the kill; %d holds sent, %d not granted", took.Round(time.Millisecond), sent, len(failures))
	for i, f := range failures {
		if i == 5 {
			break
		}
		t.Logf("not granted: %s", f)
	}

	// The libraries' connection failures to the dead node end after protoactor's last
	// reconnect attempt (five, two seconds apart); each survivor then sums them up once.
	testenv.Eventually(t, 25*time.Second, func() error {
		for _, s := range survivors {
			if !strings.Contains(s.logs.String(), msgNoise) {
				return errors.New(s.name + " has not summarised the failover's connection failures")
			}
		}
		return nil
	})
	for _, s := range survivors {
		s.stop(t)
	}
	t.Logf("the test took %v from a ready cluster", time.Since(began).Round(time.Millisecond))

	var problems []string
	for _, s := range survivors {
		var lost, noise, retried int
		takeovers := map[string]int{}
		for _, e := range logEntries(s.logs) {
			switch {
			case e.Level == "error" || e.Level == "dpanic" || e.Level == "panic" || e.Level == "fatal":
				problems = append(problems, fmt.Sprintf("%s logged an error: %s", s.name, e.raw))
			case strings.HasPrefix(e.Msg, msgMemberLost) && e.Member == victim.name:
				lost++
			case e.Msg == msgTakeover:
				takeovers[e.Section]++
			case e.Msg == msgNoise:
				noise++
				t.Logf("%s: %s", s.name, e.raw)
			case e.Msg == msgRetriedOK || e.Msg == msgRetriedSome:
				retried++
				t.Logf("%s: %s", s.name, e.raw)
			}
		}
		if lost != 1 {
			problems = append(problems, fmt.Sprintf("%s logged %q %d times, want once", s.name, msgMemberLost, lost))
		}
		var taken []string
		for section, n := range takeovers {
			taken = append(taken, section)
			if n > 1 {
				problems = append(problems, fmt.Sprintf("%s logged the takeover of %s %d times, want once", s.name, section, n))
			}
		}
		sort.Strings(taken)
		t.Logf("%s: member lost logged %d time(s), took over %v, %d noise summaries, %d retry summaries", s.name, lost, taken, noise, retried)
	}
	if len(problems) > 0 {
		t.Fatalf("%d problems in the survivors' logs:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

// fanAPI returns a client of the public API for a fan, on base.
func fanAPI(t *testing.T, base, user string) *api {
	t.Helper()
	tok, _, err := tbhttp.IssueToken([]byte(devJWTSecret), user, "fan", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &api{t: t, base: base, token: tok, c: &nethttp.Client{Timeout: 30 * time.Second}}
}

// failoverLoad is a few fans placing holds in every section through the survivors in a
// loop, noting when each section last granted one and what was refused.
type failoverLoad struct {
	quit chan struct{}
	wg   sync.WaitGroup
	sent atomic.Int64

	mu       sync.Mutex
	granted  map[string]time.Time // by section: when the latest granted hold was sent
	failures []string
}

func startFailoverLoad(via []*nodeProc, eventID string) *failoverLoad {
	l := &failoverLoad{quit: make(chan struct{}), granted: map[string]time.Time{}}
	client := &nethttp.Client{Timeout: 60 * time.Second}
	for w := range 4 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.quit:
					return
				default:
				}
				user := fmt.Sprintf("fan-%d-%d", w, i)
				tok, _, err := tbhttp.IssueToken([]byte(devJWTSecret), user, "fan", time.Hour, time.Now())
				if err != nil {
					l.fail(err.Error())
					return
				}
				section := fmt.Sprintf("s%02d", (w*5+i)%failoverSections)
				node := via[(w+i)%len(via)]
				at := time.Now()
				status, body := send(client, "POST", node.url+"/api/v1/events/"+eventID+"/holds", tok,
					map[string]any{"section_id": section, "quantity": 1})
				l.sent.Add(1)
				if status != 201 {
					var e struct {
						Error struct{ Code string } `json:"error"`
					}
					_ = json.Unmarshal(body, &e)
					l.fail(fmt.Sprintf("hold in %s through %s: %d %s", section, node.name, status, e.Error.Code))
					continue
				}
				l.mu.Lock()
				l.granted[section] = at
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *failoverLoad) fail(msg string) {
	l.mu.Lock()
	l.failures = append(l.failures, msg)
	l.mu.Unlock()
}

// unansweredSince lists the sections with no hold granted that was sent after since.
func (l *failoverLoad) unansweredSince(since time.Time) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for i := range failoverSections {
		s := fmt.Sprintf("s%02d", i)
		if !l.granted[s].After(since) {
			out = append(out, s)
		}
	}
	return out
}

// stop ends the load and returns how many holds were sent and which were not granted.
func (l *failoverLoad) stop() (int64, []string) {
	close(l.quit)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent.Load(), append([]string(nil), l.failures...)
}
