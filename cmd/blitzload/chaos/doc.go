// Package chaos runs TicketBlitz as a real cluster of separate processes (a shared
// Kafka-protocol broker and several nodes on loopback, one PostgreSQL database, one
// Redis), drives a sale from many fans spread over every node, injects one fault in the
// middle of it — kill -9, SIGSTOP past failure detection, a node added, a node drained,
// a node restarted on the same address — and then audits the run from the fans' own
// records:
//
//   - the audit package: no seat held or sold to two parties at once, every confirmed
//     order readable with its seats sold, final seat maps explained by the history,
//     general-admission capacity never exceeded;
//   - the linear package: every reserved seat's history (holds, releases, confirms,
//     cancels and seat-map reads) is linearizable (porcupine);
//   - the stream package: every committed section version is in the event stream
//     exactly once and in order, and every change the fans saw acknowledged has exactly
//     one domain event.
//
// It also measures what the fault cost the fans: the failover time (fault → first
// definite answer on a section that had to move), the rebalance time when a node joins,
// and the failed attempts by kind. A load balancer is simulated the way a real one
// works: fans are spread over the nodes whose /readyz answers 200, checked every
// 250 ms, and a fan whose request fails without an answer retries on the next node
// with the same idempotency key.
package chaos
