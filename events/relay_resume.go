package events

import (
	"context"
	"encoding/json"
	"time"

	"go.uber.org/zap"
)

// skipPublished marks the pending records that are already at the end of the stream:
// a previous relay published them and died before marking them.
//
// It marks, per stream (topic and key), only the records found before the stream's
// first pending record that is not found: a record found after that one overtook it
// (it was acknowledged while the earlier one failed or never landed), and must be sent
// again after it, as the relay that sent it would have done. Marking it would let the
// earlier record follow later ones.
func (r *Relay) skipPublished(ctx context.Context, token int64) error {
	window := 2 * r.cfg.BatchSize
	type pending struct {
		id     int64
		stream streamID
		env    string
	}
	var recs []pending
	topics := map[string]bool{}
	err := r.cfg.Outbox.Pending(ctx, 0, nil, window, nil, func(id int64, topic, key string, payload []byte, _ time.Time) {
		var env struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(payload, &env)
		recs = append(recs, pending{id: id, stream: streamID{topic, key}, env: env.ID})
		if env.ID != "" {
			topics[topic] = true
		}
	})
	if err != nil {
		return failedAt("read pending outbox records", err)
	}
	if len(topics) == 0 {
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
	done, kept := publishedPrefixes(len(recs), func(i int) (streamID, bool) {
		return recs[i].stream, recs[i].env != "" && seen[recs[i].env]
	})
	if len(done) == 0 {
		if kept > 0 {
			r.log.Info("records found in the stream after an earlier record of theirs that is not are sent again after it", zap.Int("records", kept))
		}
		return nil
	}
	ids := make([]int64, len(done))
	for i, n := range done {
		ids[i] = recs[n].id
	}
	current, err := r.cfg.Outbox.MarkPublished(ctx, token, ids)
	if err != nil {
		return failedAt("mark published", err)
	}
	if !current {
		return nil // the lease moved on; the loop hears of it from the lease keeper
	}
	r.log.Info("records the previous relay published but did not mark were found in the stream; marked, not sent again",
		zap.Int("records", len(ids)), zap.Int("found_after_a_missing_one_sent_again", kept))
	return nil
}

// publishedPrefixes takes n records in id order, with found telling each one's stream
// and whether it is in the stream already, and returns the indexes of the records
// found with every earlier record of their stream: they may be marked. kept counts the
// records found after a record of their stream that is not.
func publishedPrefixes(n int, found func(i int) (streamID, bool)) (done []int, kept int) {
	broken := map[streamID]bool{}
	for i := range n {
		s, ok := found(i)
		switch {
		case broken[s]:
			if ok {
				kept++
			}
		case ok:
			done = append(done, i)
		default:
			broken[s] = true
		}
	}
	return done, kept
}
