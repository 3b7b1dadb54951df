// Package scenario runs blitzload's load shapes against a TicketBlitz server through
// the public API: flash (a fan army rushing one section at the same instant), steady
// (a constant arrival rate over many sections, open model), mixed (browsing with
// holds and confirms) and hot (callers looping hold/release on one section, the
// durable-decisions benchmark). Execute runs one, then audits it.
package scenario
