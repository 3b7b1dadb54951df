package events

import (
	"encoding/json"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// HeaderEnvelopeID is the Kafka header that carries the envelope id of a record.
const HeaderEnvelopeID = "id"

// producerMessage turns an outbox record into a Kafka message carrying metadata.
func producerMessage(rec OutboxRecord, metadata any) *sarama.ProducerMessage {
	msg := &sarama.ProducerMessage{
		Topic:    rec.Topic,
		Key:      sarama.StringEncoder(rec.Key),
		Value:    sarama.ByteEncoder(rec.Payload),
		Metadata: metadata,
	}
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(rec.Payload, &head) == nil && head.ID != "" {
		msg.Headers = []sarama.RecordHeader{{Key: []byte(HeaderEnvelopeID), Value: []byte(head.ID)}}
	}
	return msg
}

// published counts and traces one record that is acknowledged with every earlier
// record of its key; offset is where the broker stored it.
func (r *Relay) published(rec OutboxRecord, offset int64) {
	r.metrics.published.WithLabelValues(rec.Topic).Inc()
	r.cfg.Tracer.Trace(actors.Trace{
		Type:   actors.TraceKafka,
		At:     r.cfg.Clock.Now().UTC(),
		Node:   r.cfg.Node,
		Topic:  rec.Topic,
		Key:    rec.Key,
		Offset: offset,
	})
	if ce := r.log.Check(zap.DebugLevel, "published"); ce != nil {
		ce.Write(zap.Int64("outbox_id", rec.ID), zap.String("topic", rec.Topic), zap.String("key", rec.Key), zap.Int64("offset", offset))
	}
}
