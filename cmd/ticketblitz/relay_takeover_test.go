package main

import (
	"context"
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

const msgRelayTakenFromGone = "took the relay lease over from a member that is gone"

// relayLeaseHolder reads the relay lease's holder straight from the database.
func relayLeaseHolder(t *testing.T, db string) string {
	t.Helper()
	var holder string
	queryOne(t, db, `SELECT holder FROM relay_lease WHERE name = 'outbox'`, &holder)
	return holder
}

func queryOne(t *testing.T, db, sql string, dest ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/"+db+"?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestRelayTakesOverAfterKill runs two nodes as processes; node1 relays the outbox.
// node1 is killed with SIGKILL while its relay lease has most of its 10 s to run. node2
// must take the lease when it runs out, not earlier from a member merely declared dead
// (that may be a paused process whose relay would publish again when it resumes), and
// publish what fans commit through it. The times from the kill are logged.
func TestRelayTakesOverAfterKill(t *testing.T) {
	testenv.Require(t, testenv.Both())
	bin := buildPlainBinary(t) // several nodes talking: see buildPlainBinary
	db := fmt.Sprintf("tb_e2e_%d_%d", os.Getpid(), dbCounter.Add(1))
	t.Cleanup(func() { dropTestDB(db) })
	broker := startBrokerProc(t, bin)
	seed := fmt.Sprintf("127.0.0.1:%d", freeLoopbackPort(t))
	common := []string{
		"TICKETBLITZ_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable",
		"TICKETBLITZ_POSTGRES_POOL=6",
		"TICKETBLITZ_KAFKA_BROKERS=" + broker,
		"TICKETBLITZ_RATE_LIMIT=100000/min",
		"TICKETBLITZ_SEED_DEMO=false",
	}
	first := startNodeProc(t, bin, "node1", append(common, "TICKETBLITZ_CLUSTER_BIND="+seed)...)
	first.awaitReady(t)
	second := startNodeProc(t, bin, "node2", append(common, "TICKETBLITZ_CLUSTER_BIND=127.0.0.1:0", "TICKETBLITZ_CLUSTER_JOIN="+seed)...)
	second.awaitReady(t)
	firstMember := memberIDOf(t, first)
	testenv.Eventually(t, 30*time.Second, func() error {
		if h := relayLeaseHolder(t, db); !strings.HasPrefix(h, "node1/"+firstMember+"/") {
			return fmt.Errorf("relay lease held by %q, want node1's relay", h)
		}
		return nil
	})
	root := &api{t: t, base: second.url, token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}}
	ev := root.do("POST", "/api/v1/events", map[string]any{
		"name": "Relay", "venue": "Hall", "starts_at": "2027-03-01T20:00:00Z", "currency": "USD",
		"sections": []map[string]any{{"id": "ga", "name": "Floor", "kind": "general_admission", "price_cents": 500, "capacity": 1000}},
	})
	want(t, ev, 201, "")
	eventID := ev.str("id")
	fan := fanAPI(t, second.url, "fan-1")
	want(t, fan.do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": "ga", "quantity": 1}), 201, "")
	waitOutboxPublished(t, db, 30*time.Second)

	killed := time.Now()
	first.kill()
	// Fans go on holding through node2: their records wait for a relay.
	for i := range 5 {
		want(t, fan.do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": "ga", "quantity": 1}), 201, "")
		_ = i
	}
	waitOutboxPublished(t, db, 60*time.Second)
	var firstCreated, firstPublished time.Time
	after := killed.UTC().Format(time.RFC3339Nano)
	queryOne(t, db, fmt.Sprintf(`SELECT min(created_at) FROM outbox WHERE created_at > '%s'`, after), &firstCreated)
	queryOne(t, db, fmt.Sprintf(`SELECT min(published_at) FROM outbox WHERE published_at > '%s'`, after), &firstPublished)

	var took, lost time.Time
	for _, e := range logEntries(second.logs) {
		var stamp struct {
			TS     time.Time `json:"ts"`
			Holder string    `json:"holder"`
		}
		_ = json.Unmarshal([]byte(e.raw), &stamp)
		at := stamp.TS
		switch {
		case e.Msg == msgRelayTakenFromGone && took.IsZero():
			if !strings.HasPrefix(stamp.Holder, "node1/"+firstMember+"/") {
				t.Errorf("relay lease taken over from %q, want node1's relay", stamp.Holder)
			}
			took = at
		case e.Msg == msgMemberLost && lost.IsZero():
			lost = at
		}
	}
	if !took.IsZero() {
		t.Fatalf("node2 took the relay lease over from a member only declared dead; its relay lines:\n%s", relayLines(second))
	}
	t.Logf("after kill -9 of the relay's node: declared dead %v, first record committed %v, first record published %v",
		since(killed, lost), since(killed, firstCreated), since(killed, firstPublished))
}

func since(from, to time.Time) string {
	if to.IsZero() {
		return "(not logged)"
	}
	return to.Sub(from).Round(time.Millisecond).String()
}

func relayLines(p *nodeProc) string {
	var b strings.Builder
	for _, e := range logEntries(p.logs) {
		if strings.Contains(e.raw, "relay") {
			b.WriteString(e.raw + "\n")
		}
	}
	return b.String()
}

// waitOutboxPublished waits until every outbox record is published.
func waitOutboxPublished(t *testing.T, db string, within time.Duration) {
	t.Helper()
	testenv.Eventually(t, within, func() error {
		var n int
		queryOne(t, db, `SELECT count(*) FROM outbox WHERE published_at IS NULL`, &n)
		if n > 0 {
			return fmt.Errorf("%d outbox records unpublished", n)
		}
		return nil
	})
}
