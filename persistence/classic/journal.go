package classic

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// event is one envelope to write: its type and data.
type event struct {
	typ  string
	data any
}

// journal is what one transaction announces about one section: the seats it changed
// and the counter deltas (one SectionChanged, so one new section version), and its
// domain events, in order.
//
// A reserved section's journal is staged (outbox_staged) without a version: the
// transaction has not locked the section row, and the sequencer numbers it later. The
// staging insert must come after every row lock the transaction takes (queue it last),
// which is what makes the sequencer's order safe (see Sequencer). A general-admission
// section's journal bumps the section row's version inline, as late in the transaction
// as possible, and goes straight to the outbox: the row is that section's counter, so
// every transaction that changes it locks it anyway.
type journal struct {
	sec        sectionMeta
	at         time.Time
	changed    bool
	changes    []actors.SeatStatusChange
	held, sold int
	// room, for a general-admission hold, is how many places must be free for the
	// counter update to happen at all.
	room   int
	events []event

	// bump is the general-admission counter update's result, read by the queued
	// statement's callback; bumped is false when it matched no row.
	bump   actors.SectionChanged
	bumped bool
}

// errNoRoom means a general-admission hold's counter update found too few places free.
var errNoRoom = errors.New("not enough places free")

func newJournal(sec sectionMeta, at time.Time) *journal {
	return &journal{sec: sec, at: at}
}

// change records that seats took status, and the deltas of the held and sold counters:
// this transaction makes a new section version.
func (j *journal) change(seats []string, status actors.SeatStatus, held, sold int) {
	j.changed = true
	for _, id := range seats {
		j.changes = append(j.changes, actors.SeatStatusChange{ID: id, Status: status})
	}
	j.held += held
	j.sold += sold
}

// add appends a domain event. Its section_version is filled in when the version is known.
func (j *journal) add(typ string, data any) {
	j.events = append(j.events, event{typ, data})
}

// inline reports whether the journal numbers its version itself (general admission).
func (j *journal) inline() bool { return j.sec.kind == actors.KindGeneralAdmission }

// empty reports whether there is nothing to write.
func (j *journal) empty() bool { return !j.changed && len(j.events) == 0 }

// stagedInsertSQL stages records from five arrays, ids rising in array order.
const stagedInsertSQL = `
INSERT INTO outbox_staged (topic, key, payload, held_delta, sold_delta)
SELECT m.topic, m.key, m.payload, m.held, m.sold
FROM unnest($1::text[], $2::text[], $3::bytea[], $4::int[], $5::int[]) WITH ORDINALITY AS m(topic, key, payload, held, sold, n)
ORDER BY m.n`

// sectionBumpSQL raises a general-admission section's version and moves its counters,
// when at least $5 places are free.
const sectionBumpSQL = `
UPDATE sections SET version = version + 1, held = held + $3, sold = sold + $4
WHERE event_id = $1 AND id = $2 AND capacity - held - sold >= $5
RETURNING version, capacity, held, sold`

// queue queues the journal's writes on b, which must be the transaction's last batch of
// row-locking writes: the staging insert (reserved), or the section row's counter update
// (general admission; the outbox insert follows in finish, once the version is known).
func (j *journal) queue(b *pgx.Batch) error {
	switch {
	case j.empty():
		return nil
	case j.inline() && j.changed:
		b.Queue(sectionBumpSQL, j.sec.key.EventID, j.sec.key.SectionID, j.held, j.sold, j.room).QueryRow(func(row pgx.Row) error {
			err := row.Scan(&j.bump.Version, &j.bump.Capacity, &j.bump.Held, &j.bump.Sold)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			j.bumped = err == nil
			return err
		})
		return nil
	case j.inline():
		msgs, err := j.messages(0)
		if err != nil {
			return err
		}
		persistence.QueueOutbox(b, msgs)
		return nil
	}
	msgs, err := j.messages(0)
	if err != nil {
		return err
	}
	n := len(msgs)
	topics, keys, payloads := make([]string, n), make([]string, n), make([][]byte, n)
	held, sold := make([]int32, n), make([]int32, n)
	for i, m := range msgs {
		topics[i], keys[i], payloads[i] = m.Topic, m.Key, m.Payload
	}
	if j.changed { // the SectionChanged record comes first and carries the deltas
		held[0], sold[0] = int32(j.held), int32(j.sold)
	}
	b.Queue(stagedInsertSQL, topics, keys, payloads, held, sold)
	return nil
}

// finish writes what must wait for the queued statements' results: a general-admission
// journal's outbox records, stamped with the version its counter update returned. It
// returns errNoRoom when that update found too few places free.
func (j *journal) finish(ctx context.Context, tx pgx.Tx) error {
	if !j.inline() || !j.changed {
		return nil
	}
	if !j.bumped {
		if j.room > 0 {
			return errNoRoom
		}
		return fmt.Errorf("update counters of %s: section vanished", j.sec.key)
	}
	msgs, err := j.messages(j.bump.Version)
	if err != nil {
		return err
	}
	return persistence.WriteOutbox(ctx, tx, msgs)
}

// messages encodes the journal: the SectionChanged first (when the transaction changed
// the section), then the domain events, with version in their section_version. A staged
// journal is encoded with version 0 and no counters; the sequencer fills them in.
func (j *journal) messages(version int64) ([]actors.OutboxMessage, error) {
	events := make([]event, 0, len(j.events)+1)
	if j.changed {
		ch := actors.SectionChanged{Kind: j.sec.kind, Changes: j.changes}
		if ch.Changes == nil {
			ch.Changes = []actors.SeatStatusChange{}
		}
		if j.bumped {
			ch.Version, ch.Capacity, ch.Held, ch.Sold = version, j.bump.Capacity, j.bump.Held, j.bump.Sold
			ch.Available = ch.Capacity - ch.Held - ch.Sold
		}
		events = append(events, event{actors.TypeSectionChanged, ch})
	}
	for _, e := range j.events {
		events = append(events, event{e.typ, withSectionVersion(e.data, version)})
	}
	msgs := make([]actors.OutboxMessage, len(events))
	for i, e := range events {
		msg, err := actors.NewOutboxMessage(uuid.NewString(), e.typ, j.at, j.sec.key, e.data)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", e.typ, err)
		}
		msgs[i] = msg
	}
	return msgs, nil
}

// withSectionVersion returns a domain event's data with its section_version set; data
// of types without one is returned as it is.
func withSectionVersion(data any, version int64) any {
	switch d := data.(type) {
	case actors.SeatReserved:
		d.SectionVersion = version
		return d
	case actors.SeatReleased:
		d.SectionVersion = version
		return d
	case actors.BookingCreated:
		d.SectionVersion = version
		return d
	case actors.BookingCancelled:
		d.SectionVersion = version
		return d
	}
	return data
}
