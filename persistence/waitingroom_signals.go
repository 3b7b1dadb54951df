package persistence

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// signalJSON is how one node's signal for one event is stored: a field per node of the
// event's signal hash.
type signalJSON struct {
	At       int64   `json:"at"` // unix ms
	Sections int     `json:"sections"`
	DPS      float64 `json:"dps"`
	Depth    int     `json:"depth"`
	Batches  int64   `json:"batches"`
	CommitMs float64 `json:"commit_ms"`
	PerBatch float64 `json:"per_batch"`
	Backlog  int     `json:"backlog,omitempty"`
	SchedMs  float64 `json:"sched_ms,omitempty"`
}

// PublishSignals records this node's signals, one pipeline for every event.
func (w *WaitingRooms) PublishSignals(ctx context.Context, signals []waitingroom.Signal) error {
	_, err := w.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, s := range signals {
			raw, err := json.Marshal(signalJSON{At: unixMs(s.At), Sections: s.Sections, DPS: s.DecisionsPerS,
				Depth: s.MaxDepth, Batches: s.Batches, CommitMs: s.CommitMs, PerBatch: s.DecisionsPerBatch, Backlog: s.Backlog,
				SchedMs: s.SchedMs})
			if err != nil {
				return fmt.Errorf("encode the signal of %s: %w", s.EventID, err)
			}
			key := w.eventKey(s.EventID, "sig")
			p.HSet(ctx, key, s.Node, raw)
			p.PExpire(ctx, key, signalTTL)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("publish section signals: %w", err)
	}
	return nil
}

// Signals returns every node's latest signal for the event.
func (w *WaitingRooms) Signals(ctx context.Context, eventID string) ([]waitingroom.Signal, error) {
	all, err := w.rdb.HGetAll(ctx, w.eventKey(eventID, "sig")).Result()
	if err != nil {
		return nil, fmt.Errorf("read the signals of %s: %w", eventID, err)
	}
	out := make([]waitingroom.Signal, 0, len(all))
	for node, raw := range all {
		var s signalJSON
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return nil, fmt.Errorf("signal of %s from %s: %w", eventID, node, err)
		}
		out = append(out, waitingroom.Signal{EventID: eventID, Node: node, At: fromUnixMs(s.At), Sections: s.Sections,
			DecisionsPerS: s.DPS, MaxDepth: s.Depth, Batches: s.Batches, CommitMs: s.CommitMs, DecisionsPerBatch: s.PerBatch, Backlog: s.Backlog,
			SchedMs: s.SchedMs})
	}
	return out, nil
}
