package events

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// HeaderEnvelopeID is the Kafka header that carries the envelope id of a record.
const HeaderEnvelopeID = "id"

// publish sends batch (in id order) while live reports true, and returns the ids the
// broker acknowledged.
//
// It sends in waves: each wave holds the oldest unsent record of every key, and one
// SendMessages call carries the whole wave. A key's next record goes out only after its
// previous one was acknowledged. That costs a round trip per record of a hot key, and it
// is what keeps a key's records in order through any failure: sarama gives up on a
// message after its retries and then carries on with the messages queued behind it, so
// two records of one key in flight together could land in the wrong order. A key whose
// record failed sends nothing more in this pass; the others carry on.
func (r *Relay) publish(batch []OutboxRecord, live func() bool) (acked []int64, err error) {
	queues := keyQueues(batch)
	var failures []error
	failed := 0
	for len(queues) > 0 && live() {
		wave := make([]*sarama.ProducerMessage, len(queues))
		for i, q := range queues {
			wave[i] = producerMessage(q[0], i)
		}
		bad := r.send(wave)
		next := queues[:0]
		for i, q := range queues {
			if e, ok := bad[i]; ok {
				failures = append(failures, e)
				failed++
				continue
			}
			r.published(q[0], wave[i])
			acked = append(acked, q[0].ID)
			if len(q) > 1 {
				next = append(next, q[1:])
			}
		}
		queues = next
	}
	if failed == 0 {
		return acked, nil
	}
	r.metrics.publishErrors.Add(float64(failed))
	return acked, failedAt("publish to kafka", fmt.Errorf("%d of %d records failed, first: %w", failed, len(batch), failures[0]))
}

// keyQueues groups batch by key, keeping id order within a key and ordering the keys by
// their oldest record.
func keyQueues(batch []OutboxRecord) [][]OutboxRecord {
	index := make(map[string]int)
	var queues [][]OutboxRecord
	for _, rec := range batch {
		i, ok := index[rec.Key]
		if !ok {
			i = len(queues)
			index[rec.Key] = i
			queues = append(queues, nil)
		}
		queues[i] = append(queues[i], rec)
	}
	return queues
}

// producerMessage turns an outbox record into a Kafka message; Metadata holds its
// position in the wave.
func producerMessage(rec OutboxRecord, position int) *sarama.ProducerMessage {
	msg := &sarama.ProducerMessage{
		Topic:    rec.Topic,
		Key:      sarama.StringEncoder(rec.Key),
		Value:    sarama.ByteEncoder(rec.Payload),
		Metadata: position,
	}
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(rec.Payload, &head) == nil && head.ID != "" {
		msg.Headers = []sarama.RecordHeader{{Key: []byte(HeaderEnvelopeID), Value: []byte(head.ID)}}
	}
	return msg
}

// send sends one wave and returns the failures by position in the wave.
func (r *Relay) send(wave []*sarama.ProducerMessage) map[int]error {
	err := r.cfg.Producer.SendMessages(wave)
	if err == nil {
		return nil
	}
	bad := make(map[int]error)
	var perrs sarama.ProducerErrors
	if errors.As(err, &perrs) {
		for _, pe := range perrs {
			if pos, ok := pe.Msg.Metadata.(int); ok {
				bad[pos] = fmt.Errorf("%s/%s: %w", pe.Msg.Topic, keyString(pe.Msg), pe.Err)
			}
		}
		if len(bad) > 0 {
			return bad
		}
	}
	// An error that names no message leaves every message's fate unknown: treat them
	// all as failed, so none is marked published.
	for i := range wave {
		bad[i] = err
	}
	return bad
}

// published counts and traces one acknowledged record.
func (r *Relay) published(rec OutboxRecord, msg *sarama.ProducerMessage) {
	r.metrics.published.WithLabelValues(rec.Topic).Inc()
	r.cfg.Tracer.Trace(actors.Trace{
		Type:   actors.TraceKafka,
		At:     r.cfg.Clock.Now().UTC(),
		Node:   r.cfg.Node,
		Topic:  rec.Topic,
		Key:    rec.Key,
		Offset: msg.Offset,
	})
	if ce := r.log.Check(zap.DebugLevel, "published"); ce != nil {
		ce.Write(zap.Int64("outbox_id", rec.ID), zap.String("topic", rec.Topic), zap.String("key", rec.Key),
			zap.Int32("partition", msg.Partition), zap.Int64("offset", msg.Offset))
	}
}

func keyString(msg *sarama.ProducerMessage) string {
	if msg.Key == nil {
		return ""
	}
	b, err := msg.Key.Encode()
	if err != nil {
		return ""
	}
	return string(b)
}
