package events

import (
	"context"
	"encoding/json"
	"time"

	"go.uber.org/zap"
)

// skipPublished marks the pending records that are already at the end of the stream:
// a previous relay published them and died before marking them.
func (r *Relay) skipPublished(ctx context.Context, token int64) error {
	window := 2 * r.cfg.BatchSize
	byID := map[string]int64{}
	topics := map[string]bool{}
	err := r.cfg.Outbox.Pending(ctx, 0, window, nil, func(id int64, topic, _ string, payload []byte, _ time.Time) {
		var env struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(payload, &env) == nil && env.ID != "" {
			byID[env.ID] = id
			topics[topic] = true
		}
	})
	if err != nil {
		return failedAt("read pending outbox records", err)
	}
	if len(byID) == 0 {
		return nil
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	seen, err := r.cfg.Tail.RecentIDs(ctx, names, window)
	if err != nil {
		return failedAt("read the end of the stream", err)
	}
	var done []int64
	for env, id := range byID {
		if seen[env] {
			done = append(done, id)
		}
	}
	if len(done) == 0 {
		return nil
	}
	current, err := r.cfg.Outbox.MarkPublished(ctx, token, done)
	if err != nil {
		return failedAt("mark published", err)
	}
	if !current {
		return nil // the lease moved on; the loop hears of it from the lease keeper
	}
	r.log.Info("records the previous relay published but did not mark were found in the stream; marked, not sent again",
		zap.Int("records", len(done)))
	return nil
}
