package waitingroom

// seatsPerFan is how many seats an admitted fan takes, as the room learned from the
// holds its passes made (the seats they took over the holds that took any), and one
// until any came back: never less than one, so that the room never admits more fans
// for its seats than one seat a fan. Fans ask for 1 to several seats (2.5 on average
// in the flash rush); counted one seat a fan, a 2,000-seat rush gave out 1,055-1,424
// passes, and 58-385 fans let in were answered SOLD_OUT by their hold.
func (rc *roomControl) seatsPerFan() float64 {
	if rc.heldHolds <= 0 {
		return 1
	}
	return max(1, float64(rc.heldSeats)/float64(rc.heldHolds))
}

// learnSeats keeps what p read of the holds made with the room's passes: the seats
// they took, and when they came back (presumedGone: from then on, passes unused for
// longer than that no longer count against the seats left).
func (rc *roomControl) learnSeats(p *passCount) {
	if p.read && p.holds > 0 {
		rc.heldHolds, rc.heldSeats = p.holds, p.seats
	}
	if gone := presumedGone(p.heldAfter); gone > 0 {
		rc.gone, rc.typical = gone, heldBy(p.heldAfter, 0.5)
	}
}

// fansFor is how many more fans seats cover, the unused passes' fans taking theirs
// first, at seatsPerFan a fan (negative when those fans take more than is left).
func (rc *roomControl) fansFor(seats int, unused int64) int64 {
	return int64(float64(max(seats, 0))/rc.seatsPerFan()) - unused
}

// seatsCap is how many fans a step may admit for the seats left: fans, those the seats
// left cover at seatsPerFan a fan after the passes unused. While a seat stands for a
// waiting fan (free, the seats left less one a pass unused, is positive) and no pass
// is pending (roomControl.pending: no hold on its way, and once the room knows when its
// fans are gone, no fan choosing), it is one fan at least, since seats the average
// fan would not fill still go to the fans who ask for fewer; in a paced room not yet
// told sold out, a round of fans whose holds all came back with no fewer seats left
// (each asked for more than was left, or a winner released some) is followed by one of
// twice as many, up to what the sections' empty mailboxes take (nextWave).
//
// It replaces a batch of 32 fans a section for the last seats: fans ask for 1 to 4
// seats, and of the 32 let in for 31 seats or fewer, most were answered SOLD_OUT.
func (c *Controller) seatsCap(rc *roomControl, paced, told bool, seats int, free, fans int64, p *passCount, h Headroom) int64 {
	if free <= 0 || seats <= 0 || rc.pending(p) > 0 {
		return fans
	}
	least := int64(1)
	if paced && !told {
		least = rc.nextWave(seats, c.lastSeatsBatch(h))
	}
	return max(fans, least)
}

// nextWave is how many fans, at least, a paced room admits for the seats left once the
// holds of its last round came back: twice the last round's, up to batch, when the
// seats left are no fewer than when it was admitted (nobody took one, or a winner's
// release gave as many back), one otherwise. One fan a round, a round trip each, sold
// the last seat of a 10,000-fan sale to the ninth fan admitted for it.
func (rc *roomControl) nextWave(seats int, batch int64) int64 {
	if rc.waveFans > 0 && seats >= rc.waveSeats {
		return max(1, min(2*rc.waveFans, batch))
	}
	return 1
}

// lastSeatsBatch is the largest round a paced room admits for its last seats: what
// the sections' empty mailboxes take, DepthBound a section.
func (c *Controller) lastSeatsBatch(h Headroom) int64 {
	return int64(c.cfg.Rate.withDefaults().DepthBound * max(h.Sections, 1))
}

// pending counts the passes a round of last seats waits for (seatsCap): once the room
// knows when its fans are gone (roomControl.gone), every pass that still counts against
// the seats, unused; before, the passes out. Fans who take their time to hold have no
// pass out (roomControl.flight), and rounds that waited only for those followed each
// other every step on seats their holds had not taken yet: 63 fans of a 10,000-fan
// rush whose fans took up to 10 s were let in for seats that were gone. A room too
// small to learn when its fans are gone counts every valid pass unused, its walkers'
// for their ten minutes, and waiting for those stalled it.
func (rc *roomControl) pending(p *passCount) int64 {
	if rc.gone > 0 {
		return p.unused()
	}
	return p.outstanding()
}
