package persistence

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestStaleActivationRefusesNothingOnItsMemory: an activation is replaced (a newer one
// bumps the epoch, as after a pause or a partition), and the newer one frees a seat the
// old one's memory still shows held. A hold for that seat sent to the old activation must
// not be refused from that memory: the fence its refusal waits for fails, the section
// answers the retryable "section moved" and stops, and a retry reaches an activation
// that loads the truth and grants the seat. With the attempt log on and off (the
// confirmation is a batch of the refusal's attempt, or a fenced read of nothing).
func TestStaleActivationRefusesNothingOnItsMemory(t *testing.T) {
	s, pool := storeNew(t)
	for _, record := range []bool{false, true} {
		t.Run(fmt.Sprintf("attempts=%v", record), func(t *testing.T) {
			ev := storeFixtureEvent(t, s)
			key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
			stops := &passivations{}
			c := sectionCluster(t, s, func(c *actors.SectionConfig) { c.RecordAttempts, c.Tracer = record, stops })
			// ask sends a hold of A-1 to the section's activation itself: its own answer,
			// with no Client retrying it.
			ask := func(user string) *actors.Reply {
				t.Helper()
				res, err := c.Request(key.Identity(), actors.SectionKindName, &actors.HoldCommand{UserId: ev.ID + "-" + user, Seats: []string{"A-1"}})
				if err != nil {
					t.Fatalf("hold for %s: %v", user, err)
				}
				return res.(*actors.Reply)
			}
			first := ask("a")
			if err := first.Err(); err != nil {
				t.Fatalf("first hold: %v", err)
			}

			// A newer activation takes the section and releases the hold: A-1 is free.
			newer := storeActivate(t, s, key)
			released := actors.HoldFromMsg(first.GetHold())
			released.Status, released.UpdatedAt = actors.HoldReleased, newer.DBNow
			storeCommit(t, s, &actors.Batch{Key: key, Epoch: newer.Epoch, Version: newer.Version,
				Seats: []actors.SeatChange{{ID: "A-1", Status: actors.SeatAvailable}}, Holds: []actors.Hold{released},
				LastSeq: newer.AttemptSeq, Digest: newer.AttemptDigest, Chain: newer.Chain})

			// The old activation's memory still shows A-1 held by the first hold.
			err := ask("b").Err()
			if errors.Is(err, actors.ErrSeatUnavailable) {
				t.Fatalf("the stale activation refused the free seat A-1 from its memory: %v", err)
			}
			if !errors.Is(err, actors.ErrUnavailable) {
				t.Fatalf("hold on the stale activation: %v, want the retryable unavailable", err)
			}
			testenv.Eventually(t, 5*time.Second, func() error {
				if n := stops.count(); n != 1 {
					return fmt.Errorf("%d activations stopped, want 1", n)
				}
				return nil
			})
			if n := storeCount(t, pool, `SELECT count(*) FROM attempts WHERE event_id = $1 AND user_id = $2`, ev.ID, ev.ID+"-b"); n != 0 {
				t.Fatalf("the fenced refusal left %d attempts", n)
			}

			// A Client's retry reaches a new activation, which holds the free seat.
			client, err := actors.NewClient(c, s, actors.ClientConfig{BaseBackoff: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			h, err := client.Hold(storeCtx(t), actors.HoldRequest{EventID: ev.ID, SectionID: "A", UserID: ev.ID + "-b", Seats: []string{"A-1"}})
			if err != nil {
				t.Fatalf("hold after the stale activation stopped: %v", err)
			}
			if got := storeSeat(t, pool, key, "A-1"); got != "held/"+h.ID+"/" {
				t.Fatalf("seat A-1 after the retry: %s", got)
			}
		})
	}
}

// TestStoreConfirmsTheFenceWithNothingToWrite: a batch of attempts alone with no
// attempts commits at the section's epoch and version, is fenced at an older epoch or
// version, and writes nothing either way.
func TestStoreConfirmsTheFenceWithNothingToWrite(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	first := storeActivate(t, s, key)
	confirm := func(snap *actors.Snapshot, version int64) error {
		return s.Commit(storeCtx(t), &actors.Batch{Key: key, Epoch: snap.Epoch, Version: version, RecordOnly: true,
			LastSeq: snap.AttemptSeq, Digest: snap.AttemptDigest, Chain: snap.Chain})
	}
	if err := confirm(first, first.Version); err != nil {
		t.Fatalf("confirmation at the section's epoch and version: %v", err)
	}
	second := storeActivate(t, s, key)
	if err := confirm(first, first.Version); !errors.Is(err, actors.ErrFenced) {
		t.Fatalf("confirmation at an older epoch: %v, want ErrFenced", err)
	}
	storeCommit(t, s, storeHoldBatch(second, second.Version, ev.ID+"-h", ev.ID+"-u", "A-1"))
	if err := confirm(second, second.Version); !errors.Is(err, actors.ErrFenced) {
		t.Fatalf("confirmation at an older version: %v, want ErrFenced", err)
	}
	if err := confirm(second, second.Version+1); err != nil {
		t.Fatalf("confirmation at the version now: %v", err)
	}
	if v := storeVersion(t, pool, key); v != second.Version+1 {
		t.Fatalf("version %d after the confirmations, want %d", v, second.Version+1)
	}
}
