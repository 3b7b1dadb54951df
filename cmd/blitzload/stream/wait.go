package stream

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// DefaultPoll is WaitComplete's polling interval when none is given.
const DefaultPoll = 200 * time.Millisecond

// WaitComplete polls Read until every section's section.changed records reach its
// version in final, and returns that read: the relay publishes asynchronously after
// the commit, so the stream lags the seat maps. When ctx ends first it returns the last
// successful read (nil if none) with an error naming the sections still behind, so the
// caller can still Check what arrived.
func WaitComplete(ctx context.Context, brokers []string, topics []string, final map[string]int64, poll time.Duration) ([]Message, error) {
	return waitUntil(ctx, brokers, topics, poll, func(msgs []Message) error {
		if behind := sectionsBehind(reached(msgs, final), final); len(behind) > 0 {
			return fmt.Errorf("section.changed behind the final seat maps: %s", describeBehind(behind))
		}
		return nil
	})
}

// WaitExpected polls Read until Check finds neither missing versions nor missing events
// for exp, and returns that read. Reaching the final versions is not enough: Read takes
// each topic's high-water mark in turn, so one read can catch a section's last
// section.changed record and miss a domain event published just before it on a topic
// read earlier. When ctx ends first it returns the last successful read with an error,
// and Check then reports what is still missing.
func WaitExpected(ctx context.Context, brokers []string, topics []string, exp Expect, poll time.Duration) ([]Message, error) {
	return waitUntil(ctx, brokers, topics, poll, func(msgs []Message) error {
		rep := Check(msgs, exp)
		if n := rep.Counts[KindMissingVersions] + rep.Counts[KindMissingEvent]; n > 0 {
			return fmt.Errorf("%d sections or events not in the stream yet", n)
		}
		return nil
	})
}

// waitUntil polls Read until pending finds nothing missing in a read, or ctx ends.
func waitUntil(ctx context.Context, brokers []string, topics []string, poll time.Duration, pending func([]Message) error) ([]Message, error) {
	if poll <= 0 {
		poll = DefaultPoll
	}
	var last []Message
	var lastErr error
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		msgs, err := Read(ctx, brokers, topics)
		if err == nil {
			last = msgs
			if lastErr = pending(msgs); lastErr == nil {
				return msgs, nil
			}
		} else if ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr == nil {
				lastErr = fmt.Errorf("no read completed")
			}
			return last, fmt.Errorf("wait for the event stream: %w (%w)", ctx.Err(), lastErr)
		case <-ticker.C:
		}
	}
}

// behindSection is a section whose section.changed is short of its final version.
type behindSection struct {
	key          string
	reached, end int64
}

func sectionsBehind(got, final map[string]int64) []behindSection {
	var out []behindSection
	for key, v := range final {
		if got[key] < v {
			out = append(out, behindSection{key: key, reached: got[key], end: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// describeBehind names up to three sections and how many more there are.
func describeBehind(b []behindSection) string {
	const shown = 3
	s := ""
	for i, x := range b {
		if i == shown {
			return s + fmt.Sprintf(" and %d more", len(b)-shown)
		}
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s at %d of %d", x.key, x.reached, x.end)
	}
	return s
}
