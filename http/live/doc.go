// Package live is TicketBlitz's websockets (docs/api.md): GET /ws/events/{event_id}, where
// fans get a snapshot of an event's seat maps and then every committed section version
// in order (EventFeed, fed by Publish), GET /ws/queue/{ticket_id}, where a fan in a
// waiting room follows their ticket (QueueFeed, reading each event's queue once a poll
// whatever its number of subscribers), and GET /ws/visualizer, where viewers get the
// node's sampled actor traces (TraceHub, the node's actors.Tracer).
//
// All run on one connection machinery: an endpoint admits connections within a limit,
// frames are encoded once, a connection has a writer goroutine only while frames wait
// for it (it sends them in batches; the queue feed writes each frame itself without
// blocking and needs one only for a full socket), each connection has one reader that
// watches heartbeats, and nothing a slow client does blocks a publisher.
// The handlers plug into http's routes; refusals before an upgrade are actors' domain
// errors, answered by http's error table. It reads events and seat maps through its
// own Catalog port, and queues through its QueueTickets port; it imports only actors
// and waitingroom from TicketBlitz.
package live
