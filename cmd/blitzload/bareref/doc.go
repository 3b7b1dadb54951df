// Package bareref is the bare reference of blitzload flash --queue: the least a server
// can do for a fan's request (check its HS256 token, decode its JSON body, answer
// from a map) on Fiber, run as its own process so that its figures show what the
// machine and the HTTP stack allow, beside what TicketBlitz does.
package bareref
