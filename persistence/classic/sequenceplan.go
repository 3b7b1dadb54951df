package classic

import (
	"encoding/json"
	"fmt"

	"github.com/ticketblitz/ticketblitz/actors"
)

// sectionCounters is a section row as the sequencer reads and writes it.
type sectionCounters struct {
	kind             actors.SectionKind
	capacity         int
	held, sold       int
	version          int64
	eventID, section string
}

// stagedRecord is one row of outbox_staged.
type stagedRecord struct {
	id         int64
	txid       string
	topic, key string
	payload    []byte
	held, sold int
}

// sequencePlan is what one sequencer pass writes: the outbox records in order, the
// staged rows they replace, and the section row after them.
type sequencePlan struct {
	msgs  []actors.OutboxMessage
	ids   []int64
	after sectionCounters
}

// planSequence numbers staged records of one section, read in id order under the
// section row's lock. Records are grouped by transaction; groups are taken in the order
// of their smallest id. A group that changed the section (it has a SectionChanged
// record) gets the next version: its counter deltas are applied, and its SectionChanged
// and domain events are stamped with the version and the counters after it. A group
// without one (a declined payment) keeps its place in the order and gets no version.
func planSequence(before sectionCounters, staged []stagedRecord) (sequencePlan, error) {
	p := sequencePlan{after: before}
	var order []string
	groups := map[string][]stagedRecord{}
	for _, r := range staged {
		if _, ok := groups[r.txid]; !ok {
			order = append(order, r.txid)
		}
		groups[r.txid] = append(groups[r.txid], r)
		p.ids = append(p.ids, r.id)
	}
	for _, txid := range order {
		msgs, err := p.stamp(groups[txid])
		if err != nil {
			return sequencePlan{}, err
		}
		p.msgs = append(p.msgs, msgs...)
	}
	return p, nil
}

// stamp numbers one transaction's records and returns them as outbox messages.
func (p *sequencePlan) stamp(group []stagedRecord) ([]actors.OutboxMessage, error) {
	envs := make([]actors.Envelope, len(group))
	changedAt := -1
	var ch actors.SectionChanged
	for i, r := range group {
		if err := json.Unmarshal(r.payload, &envs[i]); err != nil {
			return nil, fmt.Errorf("staged record %d: %w", r.id, err)
		}
		if envs[i].Type != actors.TypeSectionChanged {
			continue
		}
		var part actors.SectionChanged
		if err := json.Unmarshal(envs[i].Data, &part); err != nil {
			return nil, fmt.Errorf("staged record %d: %w", r.id, err)
		}
		if changedAt < 0 {
			changedAt = i
		}
		// One version per transaction: a second SectionChanged of the same transaction
		// (none is written today) is merged into the first.
		ch.Changes = append(ch.Changes, part.Changes...)
		p.after.held += r.held
		p.after.sold += r.sold
	}
	version := int64(0)
	if changedAt >= 0 {
		p.after.version++
		version = p.after.version
		ch.Version, ch.Kind, ch.Capacity = version, p.after.kind, p.after.capacity
		ch.Held, ch.Sold = p.after.held, p.after.sold
		ch.Available = ch.Capacity - ch.Held - ch.Sold
		if ch.Changes == nil {
			ch.Changes = []actors.SeatStatusChange{}
		}
	}
	var msgs []actors.OutboxMessage
	for i, r := range group {
		env := envs[i]
		var data any
		switch env.Type {
		case actors.TypeSectionChanged:
			if i != changedAt {
				continue
			}
			data = ch
		case actors.TypeSeatReserved:
			data = decodeAs[actors.SeatReserved](env.Data)
		case actors.TypeSeatReleased:
			data = decodeAs[actors.SeatReleased](env.Data)
		case actors.TypeBookingCreated:
			data = decodeAs[actors.BookingCreated](env.Data)
		case actors.TypeBookingCancelled:
			data = decodeAs[actors.BookingCancelled](env.Data)
		default: // no section_version to fill in
			msgs = append(msgs, actors.OutboxMessage{Topic: r.topic, Key: r.key, Payload: r.payload})
			continue
		}
		if d, ok := data.(decodeError); ok {
			return nil, fmt.Errorf("staged record %d: %w", r.id, d.err)
		}
		raw, err := json.Marshal(withSectionVersion(data, version))
		if err != nil {
			return nil, fmt.Errorf("staged record %d: %w", r.id, err)
		}
		env.Data = raw
		payload, err := json.Marshal(env)
		if err != nil {
			return nil, fmt.Errorf("staged record %d: %w", r.id, err)
		}
		msgs = append(msgs, actors.OutboxMessage{Topic: r.topic, Key: r.key, Payload: payload})
	}
	return msgs, nil
}

// decodeError is what decodeAs returns for data it cannot decode.
type decodeError struct{ err error }

// decodeAs decodes raw as a T, or returns a decodeError.
func decodeAs[T any](raw json.RawMessage) any {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return decodeError{err}
	}
	return v
}
