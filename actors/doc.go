// Package actors is TicketBlitz's domain: the section actor that serializes every seat
// decision of one event section in its mailbox, the seat rules and best-available search,
// hold expiry (the actor's timers, and ExpiryReminder, which wakes sections nobody runs
// when their holds come due), the domain errors, the ports the actor needs from the
// outside (Store, ReminderStore, Leases, Membership, Tracer, Payments, Clock) and Client,
// the small API the rest of the program calls.
//
// It imports nothing else of TicketBlitz. Adapters (persistence, events, http, cluster)
// import it and implement its ports.
package actors
