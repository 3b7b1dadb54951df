package main

import (
	"context"
	"fmt"
	nethttp "net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// memberIDOf returns the member id a node logged when memberlist started.
func memberIDOf(t *testing.T, p *nodeProc) string {
	t.Helper()
	for _, e := range logEntries(p.logs) {
		if e.Msg == "memberlist started" && e.MemberID != "" {
			return e.MemberID
		}
	}
	t.Fatalf("%s logged no member id:\n%s", p.name, p.logs.tail(20))
	return ""
}

// holdStatus reads a hold's status straight from the database.
func holdStatus(t *testing.T, db, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/"+db+"?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var status string
	if err := conn.QueryRow(ctx, `SELECT status FROM holds WHERE id = $1`, id).Scan(&status); err != nil {
		t.Fatalf("read hold %s: %v", id, err)
	}
	return status
}

// TestHoldsExpireAfterKillAndRestart runs one node with a 2 s hold TTL, holds 8 seats
// and kills the node with SIGKILL. Nothing expires the hold while no node runs. Restarted
// (a new process, so a new member id), the node expires it with no request to its
// section: the expiry reminder wakes the section, the seat map shows every seat available,
// and the fan's limit no longer counts the expired tickets. The dead process's lease on
// another section, kept alive for a minute by the test, does not hold the first hold
// there back: the new activation takes it over at once from a member that is no longer
// alive.
func TestHoldsExpireAfterKillAndRestart(t *testing.T) {
	testenv.Require(t, testenv.Both())
	bin := buildBinary(t)
	db := fmt.Sprintf("tb_e2e_%d_%d", os.Getpid(), dbCounter.Add(1))
	t.Cleanup(func() { dropTestDB(db) })
	broker := startBrokerProc(t, bin)
	env := []string{
		"TICKETBLITZ_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable",
		"TICKETBLITZ_POSTGRES_POOL=8",
		"TICKETBLITZ_KAFKA_BROKERS=" + broker,
		"TICKETBLITZ_RATE_LIMIT=100000/min",
		"TICKETBLITZ_SEED_DEMO=false",
		"TICKETBLITZ_HOLD_TTL=2s",
		"TICKETBLITZ_CLUSTER_BIND=127.0.0.1:0",
	}
	first := startNodeProc(t, bin, "node1", env...)
	first.awaitReady(t)
	root := &api{t: t, base: first.url, token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}}
	ev := root.do("POST", "/api/v1/events", map[string]any{
		"name": "Restart", "venue": "Hall", "starts_at": "2027-03-01T20:00:00Z", "currency": "USD",
		"sections": []map[string]any{
			{"id": "r", "name": "Reserved", "kind": "reserved", "price_cents": 500,
				"rows": []map[string]any{{"label": "A", "seats": 10}, {"label": "B", "seats": 10}}},
			{"id": "ga", "name": "Floor", "kind": "general_admission", "price_cents": 500, "capacity": 100},
			{"id": "t", "name": "Terrace", "kind": "general_admission", "price_cents": 500, "capacity": 100},
		},
	})
	want(t, ev, 201, "")
	eventID := ev.str("id")
	fan := fanAPI(t, first.url, "fan-1")
	held := fan.do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": "r", "quantity": 8})
	want(t, held, 201, "")
	holdID := held.str("id")
	expires := parseTime(t, held.str("expires_at"))
	want(t, fanAPI(t, first.url, "fan-2").do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": "t", "quantity": 1}), 201, "")

	oldMember := memberIDOf(t, first)
	opts, err := redis.ParseURL(testenv.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	lease := "tb:" + db + ":lease:section:" + eventID + "/t"
	if owner := rdb.Get(t.Context(), lease).Val(); !strings.HasPrefix(owner, "node1/"+oldMember+"/") {
		t.Fatalf("lease %s is held by %q, want an activation of member %s", lease, owner, oldMember)
	}

	first.kill()
	// The dead process's lease outlives the restart: without the takeover, the first hold
	// in that section would wait for it (LeaseTTL, 3 s) before proceeding.
	if err := rdb.PExpire(t.Context(), lease, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(expires.Add(time.Second)))
	if st := holdStatus(t, db, holdID); st != "held" {
		t.Fatalf("hold %s is %q while no node runs, want still held", holdID, st)
	}

	second := startNodeProc(t, bin, "node1", env...)
	second.awaitReady(t)
	ready := time.Now()
	newMember := memberIDOf(t, second)
	if newMember == oldMember {
		t.Fatalf("the restarted process has the dead one's member id %s", newMember)
	}
	other := fanAPI(t, second.url, "fan-3")
	want(t, other.do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": "t", "quantity": 1}), 201, "")
	answered := time.Since(ready)
	var takenFrom string
	for _, e := range logEntries(second.logs) {
		if e.Msg == msgTakeover && e.Section == eventID+"/t" {
			takenFrom = e.LeaseTakenFrom
		}
	}
	if takenFrom != oldMember {
		t.Fatalf("no takeover of %s/t's lease from the dead member %s logged (lease_taken_from %q):\n%s",
			eventID, oldMember, takenFrom, second.logs.tail(30))
	}
	if owner := rdb.Get(t.Context(), lease).Val(); !strings.HasPrefix(owner, "node1/"+newMember+"/") {
		t.Fatalf("lease %s is held by %q after the restart, want an activation of member %s", lease, owner, newMember)
	}
	t.Logf("first hold in a section of the killed process answered %v after the restarted node was ready (lease taken from %s)",
		answered.Round(time.Millisecond), takenFrom)

	// Nothing is sent to section r: the reminder wakes it.
	reader := fanAPI(t, second.url, "fan-1")
	testenv.Eventually(t, 15*time.Second, func() error {
		r := reader.do("GET", "/api/v1/events/"+eventID+"/sections/r/seats", nil)
		if r.Status != 200 {
			return fmt.Errorf("seat map: %d %s", r.Status, r.Raw)
		}
		seats, _ := r.Body["seats"].([]any)
		held := 0
		for _, s := range seats {
			if m, _ := s.(map[string]any); m["status"] != "available" {
				held++
			}
		}
		if len(seats) != 20 || held != 0 {
			return fmt.Errorf("%d of %d seats not available", held, len(seats))
		}
		return nil
	})
	t.Logf("the seat map showed every seat available %v after the restarted node was ready", time.Since(ready).Round(time.Millisecond))
	got := reader.do("GET", "/api/v1/holds/"+holdID, nil)
	want(t, got, 200, "")
	if got.str("status") != "expired" {
		t.Fatalf("hold %s is %q, want expired", holdID, got.str("status"))
	}
	// Its 8 tickets no longer count against the fan's limit of 8.
	want(t, reader.do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": "ga", "quantity": 8}), 201, "")
	second.stop(t)
}

// TestExpiryReminderSurvivesItsNode runs two nodes with a 3 s hold TTL, holds a seat in
// each of eight sections and kills the node running the expiry reminder with SIGKILL
// before the holds' time. The survivor takes the reminder over (at once: its view says
// the holder is dead) and wakes the sections that died with the killed node: every hold
// expires, with nobody calling.
func TestExpiryReminderSurvivesItsNode(t *testing.T) {
	testenv.Require(t, testenv.Both())
	bin := buildPlainBinary(t) // two nodes talking: see buildPlainBinary
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
		"TICKETBLITZ_HOLD_TTL=3s",
	}
	nodes := []*nodeProc{startNodeProc(t, bin, "node1", append(common, "TICKETBLITZ_CLUSTER_BIND="+seed)...)}
	nodes[0].awaitReady(t)
	nodes = append(nodes, startNodeProc(t, bin, "node2", append(common, "TICKETBLITZ_CLUSTER_BIND=127.0.0.1:0", "TICKETBLITZ_CLUSTER_JOIN="+seed)...))
	nodes[1].awaitReady(t)
	root := &api{t: t, base: nodes[0].url, token: adminToken(t), c: &nethttp.Client{Timeout: 30 * time.Second}}
	testenv.EventuallyEvery(t, 20*time.Second, clusterPoll, func() error {
		if _, statuses := sectionCounts(t, root); statuses["node2"] != "alive" {
			return fmt.Errorf("node1 sees %v", statuses)
		}
		return nil
	})
	var victim, survivor *nodeProc
	testenv.Eventually(t, 10*time.Second, func() error {
		for i, n := range nodes {
			for _, e := range logEntries(n.logs) {
				if e.Msg == "this member runs the cluster's expiry reminder" {
					victim, survivor = n, nodes[1-i]
				}
			}
		}
		if victim == nil {
			return fmt.Errorf("no node runs the expiry reminder yet")
		}
		return nil
	})

	var sections []any
	for i := range 8 {
		sections = append(sections, map[string]any{"id": fmt.Sprintf("s%d", i), "name": fmt.Sprintf("S%d", i),
			"kind": "general_admission", "price_cents": 500, "capacity": 10})
	}
	ev := root.do("POST", "/api/v1/events", map[string]any{
		"name": "Reminder", "venue": "Hall", "starts_at": "2027-03-01T20:00:00Z", "currency": "USD", "sections": sections,
	})
	want(t, ev, 201, "")
	eventID := ev.str("id")
	type placed struct{ user, hold string }
	var holds []placed
	for i := range 8 {
		user := fmt.Sprintf("fan-%d", i)
		r := fanAPI(t, survivor.url, user).do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": fmt.Sprintf("s%d", i), "quantity": 1})
		want(t, r, 201, "")
		holds = append(holds, placed{user: user, hold: r.str("id")})
	}
	onVictim := activeSections(t, victim.url, eventID)
	victimID := memberIDOf(t, victim)
	victim.kill()
	killed := time.Now()
	if len(onVictim) == 0 {
		t.Fatalf("no section of the event was active on %s", victim.name)
	}

	testenv.EventuallyEvery(t, 30*time.Second, 250*time.Millisecond, func() error {
		for _, h := range holds {
			if r := fanAPI(t, survivor.url, h.user).do("GET", "/api/v1/holds/"+h.hold, nil); r.str("status") != "expired" {
				return fmt.Errorf("hold %s of %s is %q", h.hold, h.user, r.str("status"))
			}
		}
		return nil
	})
	var tookOver string
	for _, e := range logEntries(survivor.logs) {
		if e.Msg == "took the expiry reminder over from a member that is no longer alive" {
			tookOver = e.PreviousMember
		}
	}
	if tookOver != victimID {
		t.Fatalf("%s did not log taking the expiry reminder over from %s (%q):\n%s", survivor.name, victimID, tookOver, survivor.logs.tail(30))
	}
	t.Logf("%s ran the reminder and hosted %v; killed, %s took over and every hold had expired %v later",
		victim.name, onVictim, survivor.name, time.Since(killed).Round(time.Millisecond))
	survivor.stop(t)
}
