package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// replayOptions are the flags of "ticketblitz replay".
type replayOptions struct {
	event, section string
	holdTTL        time.Duration
	postgresURL    string
}

func (o *replayOptions) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.event, "event", "", "the event (required)")
	fs.StringVar(&o.section, "section", "", "the section to replay (required)")
	fs.DurationVar(&o.holdTTL, "hold-ttl", 10*time.Minute, "the hold TTL the sale ran with")
	urlVar(fs, &o.postgresURL, "postgres-url", "postgres://postgres@127.0.0.1:5432/ticketblitz?sslmode=disable", "PostgreSQL `URL`")
}

// replay decides a section's recorded commands again in a fresh in-memory section
// actor (actors.Replay) and returns an error naming the first decision that differs.
func replay(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o replayOptions
	o.declare(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fillFromEnv(fs, getenv, "postgres-url", "hold-ttl"); err != nil {
		return err
	}
	if o.event == "" || o.section == "" {
		return errors.New("replay: --event and --section are required")
	}
	pool, err := persistence.Open(ctx, o.postgresURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := persistence.NewStore(pool, zap.NewNop())
	key := actors.SectionKey{EventID: o.event, SectionID: o.section}
	in, err := replayInput(ctx, store, key, o.holdTTL)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	n, err := actors.Replay(in)
	if err != nil {
		return fmt.Errorf("replay of %s: %w", key.Identity(), err)
	}
	_, err = fmt.Fprintf(stdout, "%s: %d attempts replayed, every decision the same\n", key.Identity(), n)
	return err
}

// replayInput reads the section as it was before its first attempt (its seats, all
// available), its attempts and its orders' holds.
func replayInput(ctx context.Context, store *persistence.Store, key actors.SectionKey, holdTTL time.Duration) (actors.ReplayInput, error) {
	in := actors.ReplayInput{HoldTTL: holdTTL}
	ev, err := store.GetEvent(ctx, key.EventID)
	if err != nil {
		return in, err
	}
	var sec *actors.Section
	for i := range ev.Sections {
		if ev.Sections[i].ID == key.SectionID {
			sec = &ev.Sections[i]
		}
	}
	if sec == nil {
		return in, fmt.Errorf("section %s: %w", key.Identity(), actors.ErrNotFound)
	}
	m, err := store.SeatMap(ctx, key.EventID, key.SectionID)
	if err != nil {
		return in, err
	}
	seats := make([]actors.Seat, len(m.Seats))
	for i, s := range m.Seats {
		s.Status, s.HoldID, s.OrderID = actors.SeatAvailable, "", ""
		seats[i] = s
	}
	in.Section = actors.Snapshot{Key: key, Name: sec.Name, Kind: sec.Kind, PriceCents: sec.PriceCents, Capacity: sec.Capacity,
		Currency: ev.Currency, MaxTicketsPerUser: ev.MaxTicketsPerUser, EventSections: len(ev.Sections), Seats: seats}
	for after := int64(0); ; {
		page, err := store.Attempts(ctx, key, after, attemptsPage)
		if err != nil {
			return in, err
		}
		in.Attempts = append(in.Attempts, page...)
		if len(page) < attemptsPage {
			break
		}
		after = page[len(page)-1].Seq
	}
	if len(in.Attempts) > 0 {
		in.Section.DBNow = in.Attempts[0].At
	}
	in.OrderHolds, err = store.OrderHolds(ctx, key)
	return in, err
}
