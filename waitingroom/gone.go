package waitingroom

import "time"

// UseBuckets is how many buckets the time from a pass's admission to its hold's
// answer is counted in (PassUsage.HeldAfter): bucket k holds the times up to
// UseBucketBase << k, the last one every longer time.
const UseBuckets = 14

// UseBucketBase bounds UseBucket's first bucket; the last bound, 819.2 s, is past
// PassTTL.
const UseBucketBase = 100 * time.Millisecond

// UseBucket is the bucket of a time from admission to hold (PassUsage.HeldAfter), or
// -1 when it is unknown (zero or less).
func UseBucket(d time.Duration) int {
	if d <= 0 {
		return -1
	}
	for k := range UseBuckets - 1 {
		if d <= UseBucketBase<<k {
			return k
		}
	}
	return UseBuckets - 1
}

// goneUses is how many holds of a room's passes must have come back before the room
// presumes a fan gone from them (presumedGone): fewer say little of how fans hold, the
// first to come back being the fastest.
const goneUses = 50

// goneQuantile is the share of the fans who hold that did so by the time whose double
// a fan must exceed to be presumed gone: nearly all, so that the few who learn of
// their passes late (a page that polls its ticket every 2 s among fans on the queue
// websocket) are not presumed gone before they could hold.
const goneQuantile = 0.99

// presumedGone is how long after its admission a pass never used stops counting
// against the seats left, given when the room's fans who held did so (h): twice the
// time by which 99 % of them had (the bound of its bucket). Zero means never (fewer
// than goneUses holds came back): every valid pass counts.
//
// A fan who walked away (a tab closed) never holds, and its pass counted against the
// seats for its ten minutes: in a 10,000-fan rush whose admitted fans held within a
// second, a fifth walking away kept some 600 of 2,000 seats from the fans waiting,
// and the room let fans into the rest one round at a time, each round held back by
// the walkers in it, for 3.5 to 5 minutes before it told the rest it was sold out. A
// fan presumed gone who comes back still holds with its pass, while it is valid,
// against the seats then left, as any fan does: a hold is answered by the sections,
// SOLD_OUT when none is left.
func presumedGone(h [UseBuckets]int64) time.Duration { return 2 * heldBy(h, goneQuantile) }

// heldBy is the time by which share q of the holds counted in h had come back, rounded
// up to the bound of its bucket; zero when fewer than goneUses did.
func heldBy(h [UseBuckets]int64, q float64) time.Duration {
	var total int64
	for _, n := range h {
		total += n
	}
	if total < goneUses {
		return 0
	}
	var seen int64
	for k, n := range h {
		seen += n
		if float64(seen) >= q*float64(total) {
			return UseBucketBase << k
		}
	}
	return 0
}

// flight is how long after its admission a pass counts among the recent ones
// (passCount.recent): inFlight. The passes out are no more than the passes unused that
// count against the seats (passCount.outstanding), which a pass stops doing once its
// fan is presumed gone (roomControl.gone): a pass is out for inFlight or until then,
// whichever comes first, and a fan who walked away holds the room's next round of last
// seats back that long.
//
// When the room's fans take longer than inFlight to hold, half of them at least (a
// page whose fan picks seats, not a client that holds at once), a pass out is a fan
// choosing, not a hold on its way to the sections: none counts as out, and the rate,
// which follows the sections, alone admits. Counted out for inFlight, such passes let
// the room admit its window (the rate's 200 ms) every 2 s, a tenth of the rate.
func (rc *roomControl) flight(inFlight time.Duration) time.Duration {
	if rc.gone > 0 && rc.typical > inFlight {
		return 0
	}
	return inFlight
}
