package actors

import "time"

// Deadlines. Every command carries its caller's deadline (deadline_unix_micro). The
// section decides a command only while it can still answer it in time: before the
// deadline, and, while a batch is being written (the decision must wait for it, then for
// its own), before the deadline less the time that takes as the last commit's duration
// estimates it. With no batch being written a command is decided up to its deadline,
// whatever the estimate: its own batch is how the section learns that commits are fast
// again. A command reached later is dropped undecided and answered EXPIRED at once. A
// command decided in time is answered with its real outcome once its batch ends, even
// when that is after the deadline: a committed decision is never undone. Client relies
// on this; see Client.request for what its UNAVAILABLE answer then guarantees.
//
// A command's idempotency key is looked at before its deadline: a copy of a command that
// was decided is answered from that decision whatever its deadline. This is how Client
// learns the fate of a command whose attempts went unanswered.

// tooLate reports whether a command with this deadline (microseconds since the Unix
// epoch, 0: none) can no longer be decided and answered in time; it then makes d its
// EXPIRED answer.
//
// A copy its mailbox superseded (it refused a later copy of the same key while this one
// waited, see keyLedger) is dropped the same way: that refusal told the caller nothing
// was decided. Like a late copy, it is answered from its key's decision when the section
// has one, since every decision looks the key up first.
func (a *sectionActor) tooLate(d *decision, deadlineMicro int64) bool {
	if a.depth.wasSuperseded() {
		d.fail(errExpired)
		d.late = true
		return true
	}
	if deadlineMicro == 0 {
		return false
	}
	now := a.cfg.Clock.Now()
	var wait time.Duration
	if a.inflight != nil {
		wait = max(0, a.lastCommit-now.Sub(a.inflightSince)) + a.lastCommit
	}
	if now.Add(wait).Before(time.UnixMicro(deadlineMicro)) {
		return false
	}
	d.fail(errExpired)
	d.late = true
	return true
}
