package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stream"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// verifyOptions are the flags of "ticketblitz verify".
type verifyOptions struct {
	event       string
	brokers     []string
	postgresURL string
}

func (o *verifyOptions) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.event, "event", "", "the event to verify (required)")
	listVar(fs, &o.brokers, "brokers", nil, "comma-separated Kafka `brokers` to read the section.changed stream from; empty reads the records the store's outbox still holds (see --outbox-retention)")
	urlVar(fs, &o.postgresURL, "postgres-url", "postgres://postgres@127.0.0.1:5432/ticketblitz?sslmode=disable", "PostgreSQL `URL`")
}

// attemptsPage is how many attempts verify reads from the store at a time.
const attemptsPage = 10_000

// verify reads an event's section.changed stream and the store and checks every
// section's hash chain (actors.VerifySection) and the tickets: it returns an error
// naming the first broken link, and prints one line per verified section otherwise.
func verify(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o verifyOptions
	o.declare(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fillFromEnv(fs, getenv, "postgres-url"); err != nil {
		return err
	}
	if o.event == "" {
		return errors.New("verify: --event is required")
	}
	pool, err := persistence.Open(ctx, o.postgresURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := persistence.NewStore(pool, zap.NewNop())
	ev, err := store.GetEvent(ctx, o.event)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	records, err := sectionChangedRecords(ctx, store, o.event, o.brokers)
	if err != nil {
		return fmt.Errorf("verify: read the stream: %w", err)
	}
	for _, sec := range ev.Sections {
		key := actors.SectionKey{EventID: ev.ID, SectionID: sec.ID}
		rec, err := sectionRecord(ctx, store, key, records[key.Identity()])
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if err := actors.VerifySection(rec); err != nil {
			return fmt.Errorf("verify: broken link: %w", err)
		}
		if _, err := fmt.Fprintf(stdout, "%s: %d versions chained, %d attempts\n", key.Identity(), len(rec.Stream), len(rec.Attempts)); err != nil {
			return err
		}
	}
	if section, seat, found, err := store.DoubleSale(ctx, ev.ID); err != nil {
		return fmt.Errorf("verify: %w", err)
	} else if found {
		return fmt.Errorf("verify: broken link: seat %s of section %s is sold twice in the store's tickets", seat, section)
	}
	_, err = fmt.Fprintf(stdout, "event %s: every chain holds, no seat sold twice\n", ev.ID)
	return err
}

// sectionChangedRecords reads the event's section.changed records, by section
// identity in stream order: from Kafka when brokers are given, from the outbox otherwise.
func sectionChangedRecords(ctx context.Context, store *persistence.Store, eventID string, brokers []string) (map[string][]actors.SectionChanged, error) {
	var raw []persistence.OutboxRecord
	if len(brokers) > 0 {
		msgs, err := stream.Read(ctx, brokers, []string{actors.TopicSectionChanged})
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if strings.HasPrefix(m.Key, eventID+"/") {
				raw = append(raw, persistence.OutboxRecord{Key: m.Key, Payload: m.Value})
			}
		}
	} else {
		var err error
		if raw, err = store.OutboxSectionChanged(ctx, eventID); err != nil {
			return nil, err
		}
	}
	out := make(map[string][]actors.SectionChanged)
	for _, r := range raw {
		var env actors.Envelope
		var sc actors.SectionChanged
		if err := json.Unmarshal(r.Payload, &env); err != nil {
			return nil, fmt.Errorf("record of %s: %w", r.Key, err)
		}
		if err := json.Unmarshal(env.Data, &sc); err != nil {
			return nil, fmt.Errorf("record of %s: %w", r.Key, err)
		}
		out[r.Key] = append(out[r.Key], sc)
	}
	return out, nil
}

// sectionRecord reads what the store knows of a section's record.
func sectionRecord(ctx context.Context, store *persistence.Store, key actors.SectionKey, changed []actors.SectionChanged) (actors.SectionRecord, error) {
	rec := actors.SectionRecord{Key: key, Stream: changed, Seats: make(map[string]actors.SeatStatus)}
	var err error
	if rec.Rows, err = store.ChainRows(ctx, key); err != nil {
		return rec, err
	}
	var after int64
	for {
		page, err := store.Attempts(ctx, key, after, attemptsPage)
		if err != nil {
			return rec, err
		}
		rec.Attempts = append(rec.Attempts, page...)
		if len(page) < attemptsPage {
			break
		}
		after = page[len(page)-1].Seq
	}
	m, err := store.SeatMap(ctx, key.EventID, key.SectionID)
	if err != nil {
		return rec, err
	}
	rec.Version = m.Version
	for _, s := range m.Seats {
		rec.Seats[s.ID] = s.Status
	}
	return rec, nil
}
