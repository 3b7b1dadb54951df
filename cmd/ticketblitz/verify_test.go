package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// recordedSale is a server in this process with one sale on it, for verify and replay.
type recordedSale struct {
	srv   *server
	db    string
	event string
	env   map[string]string
	conn  *pgx.Conn
}

// startRecordedSale starts a server on a fresh database and runs a sale on one
// reserved section "S" of 3 rows of 8: a fixed prelude (A-1 held, sold, cancelled, held
// again, a hold of it refused), then ops random commands by seeded fans.
func startRecordedSale(t *testing.T, seed uint64, ops int) *recordedSale {
	t.Helper()
	testenv.Require(t, testenv.Both())
	db := fmt.Sprintf("tb_record_%d_%d", os.Getpid(), dbCounter.Add(1))
	t.Cleanup(func() { dropTestDB(db) })
	env := map[string]string{
		"TICKETBLITZ_HTTP_ADDR": "127.0.0.1:0", "TICKETBLITZ_CLUSTER_BIND": "127.0.0.1:0",
		"TICKETBLITZ_POSTGRES_URL":  "postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable",
		"TICKETBLITZ_POSTGRES_POOL": "4", "TICKETBLITZ_SEED_DEMO": "false", "TICKETBLITZ_NODE_NAME": "record-" + db,
	}
	cfg, err := parseConfig(flag.NewFlagSet("record", flag.ContinueOnError), nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log, _ := newLogger("error", "console", io.Discard)
	ctx := context.Background()
	srv, err := start(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.shutdown() })
	ev, err := srv.store.CreateEvent(ctx, actors.Event{Name: "Record", Venue: "Hall", StartsAt: time.Now().Add(time.Hour), Currency: "USD",
		Sections: []actors.Section{{ID: "S", Name: "S", Kind: actors.KindReserved, PriceCents: 100,
			Rows: []actors.RowSpec{{Label: "A", Seats: 8}, {Label: "B", Seats: 8}, {Label: "C", Seats: 8}}}}})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, env["TICKETBLITZ_POSTGRES_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	s := &recordedSale{srv: srv, db: db, event: ev.ID, env: env, conn: conn}

	res := srv.reservations
	hold := func(user string, seats ...string) (actors.Hold, error) {
		return res.Hold(ctx, actors.HoldRequest{EventID: ev.ID, SectionID: "S", UserID: user, Seats: seats})
	}
	h, err := hold("fan1", "A-1")
	if err != nil {
		t.Fatal(err)
	}
	o, err := res.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "fan1", PaymentToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.Cancel(ctx, o.ID, "fan1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := hold("fan2", "A-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := hold("fan3", "A-1"); !errors.Is(err, actors.ErrSeatUnavailable) {
		t.Fatalf("a hold of a held seat: %v", err)
	}

	rng := rand.New(rand.NewPCG(seed, 7))
	held := map[string][]actors.Hold{}
	for range ops {
		user := fmt.Sprintf("f%d", rng.IntN(6))
		switch mine := held[user]; {
		case len(mine) > 0 && rng.IntN(3) == 0:
			if _, err := res.Release(ctx, mine[0].ID, user); err != nil {
				t.Fatalf("release: %v", err)
			}
			held[user] = mine[1:]
		case len(mine) > 0 && rng.IntN(3) == 0:
			if _, err := res.Confirm(ctx, actors.ConfirmRequest{HoldID: mine[0].ID, UserID: user, PaymentToken: "tok"}); err != nil {
				t.Fatalf("confirm: %v", err)
			}
			held[user] = mine[1:]
		default:
			seat := actors.SeatID(string(rune('A'+rng.IntN(3))), 2+rng.IntN(7))
			h, err := hold(user, seat)
			switch {
			case err == nil:
				held[user] = append(held[user], h)
			case errors.Is(err, actors.ErrSeatUnavailable), errors.Is(err, actors.ErrLimitExceeded):
			default:
				t.Fatalf("hold %s: %v", seat, err)
			}
		}
	}
	return s
}

// verify runs "ticketblitz verify" on the sale's event.
func (s *recordedSale) verify(t *testing.T) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), []string{"verify", "--event", s.event}, func(k string) string { return s.env[k] }, &out)
	return out.String(), err
}

// exec runs a statement on the sale's database.
func (s *recordedSale) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	ct, err := s.conn.Exec(t.Context(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if ct.RowsAffected() == 0 {
		t.Fatalf("%s %v: no row changed", sql, args)
	}
}

// recordOf selects the outbox's section.changed record of one version of section S.
const recordOf = `topic = 'section.changed' AND key = $1 AND
	(convert_from(payload, 'UTF8')::jsonb -> 'data' ->> 'version')::bigint = $2`

func TestVerifyNamesTheFirstBrokenLink(t *testing.T) {
	s := startRecordedSale(t, 1, 60)
	if out, err := s.verify(t); err != nil {
		t.Fatalf("the untouched sale: %v\n%s", err, out)
	}
	key := s.event + "/S"
	// The prelude: versions 1 A-1 held, 2 sold, 3 available again (cancelled), 4 held
	// again; attempt 5 the refused hold, recorded with version 5.
	for _, tt := range []struct {
		name         string
		tamper, undo string
		args         []any
		want         string
	}{
		{"gap", `UPDATE outbox SET topic = 'hidden' WHERE ` + recordOf, `UPDATE outbox SET topic = 'section.changed' WHERE topic = 'hidden' AND key = $1 AND $2::bigint > 0`,
			[]any{key, 3}, "version 4: gap: the stream's record follows version 2"},
		{"changed record", `UPDATE outbox SET payload = convert_to(replace(convert_from(payload, 'UTF8'), '"held"', '"available"'), 'UTF8') WHERE ` + recordOf,
			`UPDATE outbox SET payload = convert_to(replace(convert_from(payload, 'UTF8'), '"available"', '"held"'), 'UTF8') WHERE ` + recordOf,
			[]any{key, 4}, "version 4: the record was changed"},
		{"seat sold twice", `UPDATE outbox SET payload = convert_to(replace(convert_from(payload, 'UTF8'), '"available"', '"sold"'), 'UTF8') WHERE ` + recordOf,
			`UPDATE outbox SET payload = convert_to(replace(convert_from(payload, 'UTF8'), '"sold"', '"available"'), 'UTF8') WHERE ` + recordOf,
			[]any{key, 3}, "version 3: seat A-1 sold twice (first at version 2)"},
		{"changed attempt", `UPDATE attempts SET code = '' WHERE event_id = $1 AND section_id = 'S' AND seq = $2`,
			`UPDATE attempts SET code = 'SEAT_UNAVAILABLE' WHERE event_id = $1 AND section_id = 'S' AND seq = $2`,
			[]any{s.event, 5}, "were changed: their digest differs"},
		{"store link", `UPDATE section_chain SET chain = '\x00' WHERE event_id = $1 AND section_id = 'S' AND version = $2`,
			"", []any{s.event, 2}, "version 2: the store's link disagrees with the stream's record"},
		{"store seat", `UPDATE seats SET status = 'sold', order_id = 'o_forged' WHERE event_id = $1 AND section_id = 'S' AND id = $2 AND status = 'available'`,
			`UPDATE seats SET status = 'available', order_id = NULL WHERE event_id = $1 AND section_id = 'S' AND id = $2`,
			[]any{s.event, "C-1"}, "the store's seat C-1 is sold, the chain says available"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := s.chainOf(t, 2)
			s.exec(t, tt.tamper, tt.args...)
			out, err := s.verify(t)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("verify after %s: %v, want an error naming %q\n%s", tt.name, err, tt.want, out)
			}
			if tt.undo != "" {
				s.exec(t, tt.undo, tt.args...)
			} else {
				s.exec(t, `UPDATE section_chain SET chain = $3 WHERE event_id = $1 AND section_id = 'S' AND version = $2`, s.event, 2, before)
			}
			if out, err := s.verify(t); err != nil {
				t.Fatalf("after the undo: %v\n%s", err, out)
			}
		})
	}
}

// chainOf reads the store's link of a version of section S.
func (s *recordedSale) chainOf(t *testing.T, version int64) []byte {
	t.Helper()
	var b []byte
	if err := s.conn.QueryRow(t.Context(), `SELECT chain FROM section_chain WHERE event_id = $1 AND section_id = 'S' AND version = $2`,
		s.event, version).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyReadsTheStreamFromKafka(t *testing.T) {
	s := startRecordedSale(t, 2, 30)
	testenv.Eventually(t, 30*time.Second, func() error {
		var n int
		if err := s.conn.QueryRow(t.Context(), `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d outbox records not yet published", n)
		}
		return nil
	})
	kafka := func() (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), []string{"verify", "--event", s.event, "--brokers", strings.Join(s.srv.brokers, ",")},
			func(k string) string { return s.env[k] }, &out)
		return out.String(), err
	}
	if out, err := kafka(); err != nil || !strings.Contains(out, "every chain holds") {
		t.Fatalf("verify from Kafka: %v\n%s", err, out)
	}
	// The stream is Kafka's, the attempts the store's: a changed attempt breaks the chain.
	s.exec(t, `UPDATE attempts SET user_id = 'mallory' WHERE event_id = $1 AND section_id = 'S' AND seq = 1`, s.event)
	if out, err := kafka(); err == nil || !strings.Contains(err.Error(), "version 1: the attempts up to #1 were changed") {
		t.Fatalf("verify from Kafka after a changed attempt: %v\n%s", err, out)
	}
}

func TestReplayDecidesTheRecordedSaleTheSameWay(t *testing.T) {
	s := startRecordedSale(t, 3, 80)
	replayS := func() (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), []string{"replay", "--event", s.event, "--section", "S"}, func(k string) string { return s.env[k] }, &out)
		return out.String(), err
	}
	if out, err := replayS(); err != nil || !strings.Contains(out, "every decision the same") {
		t.Fatalf("replay of the sale: %v\n%s", err, out)
	}
	// The record says fan3's refused hold of A-1 (attempt 5) was granted.
	s.exec(t, `UPDATE attempts SET code = '' WHERE event_id = $1 AND section_id = 'S' AND seq = $2`, s.event, 5)
	if out, err := replayS(); err == nil || !strings.Contains(err.Error(), "attempt #5 (hold by \"fan3\" on [A-1]): recorded granted, replayed refused SEAT_UNAVAILABLE") {
		t.Fatalf("replay of a changed record: %v\n%s", err, out)
	}
}
