// Package linear checks that the fans' operations on reserved seats are linearizable,
// seat by seat, with the porcupine checker.
//
// Each client request that touches a seat (a hold, a release, a confirm, an order
// cancellation) and each read of a seat map is projected onto the seats it concerns as
// one Op per seat: when it was sent, when (if ever) it was answered, and what the answer
// said. Check then asks whether some order of those ops, consistent with real time, is a
// legal run of the model of one seat: a state machine over available, held by a hold,
// and sold to an order. An op whose outcome is unknown (a timeout, a dropped
// connection, a 5xx) may or may not have taken effect, at any moment after it was sent.
//
// Two conventions keep the model honest about what the clients cannot see:
//
//   - A hold that expires is a release nobody asked for. Give Check a release of that
//     hold with Result Unknown, Call at its expires_at and a zero Return: it may take
//     effect at any moment after the expiry.
//   - A retry with the same Idempotency-Key that replays an earlier attempt is one
//     request: give it as one op from the first Call to the last Return.
package linear
