// Package flashsale runs simulated crowds inside the engine, for demonstrations and
// classes: a flash sale lets a few hundred simulated fans arrive at one section within
// seconds, each holding seats and then paying, failing payment, releasing or walking
// away, through the same reservations port the HTTP API uses, so the visualizer shows
// a real rush. Sales starts them, reports their progress and stops them all on Close;
// http serves its admin routes. It declares the small Reservations and Catalog ports
// it needs and imports only actors from TicketBlitz.
package flashsale
