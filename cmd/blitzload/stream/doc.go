// Package stream audits the Kafka event stream a run left behind: every committed
// section version published exactly once and in order on section.changed, and exactly
// one domain event for each hold, order, release and cancellation the clients saw
// succeed.
//
// Read consumes topics from the start up to their high-water marks through the Kafka
// protocol; WaitComplete polls Read until the relay, which publishes after the commit,
// has caught up with the final seat maps. Check then compares the records with what
// the clients' own records say must be there (Expect). It decodes the envelope of
// docs/api.md with its own types, so it depends on the public contract only.
package stream
