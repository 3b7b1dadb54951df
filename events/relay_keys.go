package events

import (
	"time"

	"github.com/IBM/sarama"
)

// flight is one record handed to the producer, waiting for its outcome.
type flight struct {
	rec    OutboxRecord
	key    *keyState
	gen    int64 // the relay's generation (one per lease token) it was sent in
	token  int64
	state  flightState
	err    error
	offset int64 // where the broker stored it, once acknowledged
}

type flightState int

const (
	flightSent flightState = iota
	flightAcked
	flightFailed
)

// keyState is the relay's view of one stream: the records of one key on one topic,
// which land in one partition in the order they are sent. It holds what the relay read
// and has not sent yet, and what it sent and has not marked yet, both in id order.
type keyState struct {
	name string // the records' key: the section

	queue    []OutboxRecord
	window   []*flight // sent; the acknowledged prefix leaves it for marking
	inflight int       // entries of window still waiting for an outcome
	failed   bool      // one of window failed: nothing more is sent until all are back
	failures int       // consecutive failed rounds, for the backoff
	retryAt  time.Time // no round starts before this, after a failed one
	lastID   int64     // the highest id read
	inReady  bool
}

// keys holds every key the relay knows and the order it serves them in.
//
// A stream (a key on a topic) sends in rounds: up to perKey of its records, handed to the producer one
// right after the other, so that they go out in as few requests as possible, ideally
// one. Its next round starts only when the whole previous one is back. Records of many
// keys are in flight together, and a key that waits (for its round, or after a
// failure) holds up no other.
type keys struct {
	byName     map[streamID]*keyState
	ready      []*keyState   // keys that may start a round (or wait out a backoff), in turn
	current    *keyState     // the key whose round is being handed over
	queued     int           // records read and not yet sent, over every key
	sent       int           // records in flight, over every key
	maxBackoff time.Duration // caps the wait before a stream's round after a failed one
	// overtaken counts acknowledged records that overtook a failed earlier record of
	// their key and are sent again after it; the relay moves it to its metrics.
	overtaken int
}

// streamID names a stream: a topic and a key.
type streamID struct{ topic, key string }

func newKeys(maxBackoff time.Duration) *keys {
	return &keys{byName: make(map[streamID]*keyState), maxBackoff: maxBackoff}
}

func (ks *keys) enqueue(k *keyState) {
	if !k.inReady && k != ks.current {
		k.inReady = true
		ks.ready = append(ks.ready, k)
	}
}

// add takes a record read from the outbox, unless the key already has it. It reports
// whether the record was new.
func (ks *keys) add(rec OutboxRecord) bool {
	id := streamID{rec.Topic, rec.Key}
	k := ks.byName[id]
	if k == nil {
		k = &keyState{name: rec.Key}
		ks.byName[id] = k
	}
	if rec.ID <= k.lastID {
		return false
	}
	k.lastID = rec.ID
	k.queue = append(k.queue, rec)
	ks.queued++
	if k.inflight == 0 && !k.failed {
		ks.enqueue(k)
	}
	return true
}

// full lists the keys with a stream whose backlog is at least limit records: the next
// read skips them, so that a key that cannot publish does not fill every read.
func (ks *keys) full(limit int) []string {
	var out []string
	for id, k := range ks.byName {
		if len(k.queue)+len(k.window) >= limit {
			out = append(out, id.key)
		}
	}
	return out
}

// next returns the key whose oldest queued record goes to the producer next, or nil
// when no key may send now: the current round goes on while it can, then the next
// ready key starts one.
func (ks *keys) next(now time.Time, perKey int) *keyState {
	if k := ks.current; k != nil {
		if len(k.queue) > 0 && !k.failed && k.inflight < perKey {
			return k
		}
		ks.current = nil
		if k.inflight == 0 && !k.failed && len(k.queue) > 0 {
			ks.enqueue(k)
		}
	}
	for n := len(ks.ready); n > 0; n-- {
		k := ks.ready[0]
		ks.ready = ks.ready[1:]
		k.inReady = false
		if len(k.queue) == 0 || k.failed || k.inflight > 0 {
			continue // it comes back when it has records and its round is back
		}
		if now.Before(k.retryAt) {
			ks.enqueue(k)
			continue
		}
		ks.current = k
		return k
	}
	return nil
}

// take records that f, made of its key's oldest queued record, was handed to the
// producer: the record moves into the key's window.
func (ks *keys) take(f *flight) {
	k := f.key
	k.queue = k.queue[1:]
	k.window = append(k.window, f)
	k.inflight++
	ks.queued--
	ks.sent++
}

// acked records f's acknowledgement and returns the records of its key that are now
// acknowledged with every earlier one, in order: they may be marked.
func (ks *keys) acked(f *flight, now time.Time) []*flight {
	f.state = flightAcked
	k := f.key
	k.inflight--
	ks.sent--
	if !k.failed {
		k.failures = 0
	}
	done := k.popAcked()
	ks.roundBack(k, now)
	return done
}

// failed records f's failure. Once every record of its key in flight is back, the key
// sends again from the oldest unacknowledged one, after a backoff.
func (ks *keys) failed(f *flight, err error, now time.Time) {
	f.state, f.err = flightFailed, err
	k := f.key
	k.inflight--
	ks.sent--
	k.failed = true
	if ks.current == k {
		ks.current = nil
	}
	ks.roundBack(k, now)
}

// roundBack looks at k after an outcome: once its whole round is back, it is ready for
// the next one, after settling a failure.
func (ks *keys) roundBack(k *keyState, now time.Time) {
	if k.inflight > 0 {
		return
	}
	if k.failed {
		ks.settle(k, now)
	}
	if len(k.queue) > 0 {
		ks.enqueue(k)
	}
}

// settle ends a failed round of k: the acknowledged prefix of its window has left it
// already; everything from the first failure on goes back to the front of its queue,
// the acknowledged records after the failure included, since they overtook it and
// must follow it again.
func (ks *keys) settle(k *keyState, now time.Time) {
	failedSeen := false
	back := make([]OutboxRecord, 0, len(k.window)+len(k.queue))
	for _, f := range k.window {
		if f.state == flightFailed {
			failedSeen = true
		} else if failedSeen {
			ks.overtaken++
		}
		back = append(back, f.rec)
	}
	ks.queued += len(k.window)
	k.queue = append(back, k.queue...)
	k.window = k.window[:0]
	k.failed = false
	k.failures++
	k.retryAt = now.Add(backoffDelay(backoffInitial, ks.maxBackoff, k.failures-1))
}

// popAcked removes and returns the acknowledged prefix of k's window.
func (k *keyState) popAcked() []*flight {
	n := 0
	for n < len(k.window) && k.window[n].state == flightAcked {
		n++
	}
	out := append([]*flight(nil), k.window[:n]...)
	k.window = k.window[n:]
	return out
}

// flightOf returns the flight a producer message belongs to.
func flightOf(msg *sarama.ProducerMessage) *flight {
	if msg == nil {
		return nil
	}
	f, _ := msg.Metadata.(*flight)
	return f
}
