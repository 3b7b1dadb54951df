// Package events carries TicketBlitz's event stream: the relay that publishes the
// transactional outbox to Kafka with an idempotent sarama producer, keyed by section so
// each section's events stay in order; the notifications consumer that records every
// envelope it reads; and the in-process Kafka-protocol broker that lets the default run
// go without a Kafka installation.
//
// It imports only actors. The storage it needs is described by the ports in ports.go,
// which the persistence package implements.
package events
