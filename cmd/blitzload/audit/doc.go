// Package audit checks a load run for the failures a seat-reservation engine must never
// have, from the clients' own records rather than the server's opinion of itself.
//
// Feed it every state-changing request the fans made (Record: what was asked, when it
// was sent, when and how it was answered, including timeouts whose outcome is unknown)
// and, at the end, the final seat maps and orders read back through the public API
// (Final, gathered by Collect). Check then reports violations: a seat held or sold to
// two holds at once, a general-admission section over capacity, a confirmed order that
// cannot be read back or whose seats are not sold, a final seat state that the records
// cannot explain, and phantom holds: a hold a fan has at the end (GET /api/v1/me/holds)
// that no request was answered with, where the fan's hold requests were answered 503 or
// not at all (a 503 means nothing was decided). Unknown outcomes give slack to the seat
// checks, never a false alarm; the phantom-hold rule counts on settling: a request left
// without an answer should be asked again with its idempotency key before the audit
// (the flash scenarios do it for holds whose last attempt went unanswered, whatever the
// attempts before it said, since a silent attempt after a 503 may have been decided;
// a hold whose attempts after the last silent one were all answered 503 is judged by
// that 503; chaos for every operation left without a definite answer).
package audit
