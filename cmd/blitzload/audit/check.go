package audit

import (
	"sort"
	"time"
)

// Check audits a run: the records, the maps read before it (optional) and the state read
// back after it.
func Check(in Input, opt Options) Report {
	opt = opt.withDefaults()
	vs := &violations{max: opt.MaxListed}
	m := buildModel(in.Records, vs)
	m.resolve(in.Final)

	final := in.Final.At
	if final.IsZero() {
		final = latestEnd(in.Records)
	}
	kinds := m.sectionKinds(in)
	checkReservedOverlaps(m, kinds, final, opt, vs)
	checkGAOccupancy(m, kinds, in, final, opt, vs)
	seats := checkFinalMaps(m, kinds, in, opt, vs)
	ordersChecked := checkOrders(m, in.Final, vs)
	checkUnexplainedOrders(m, in.Final, vs)
	checkPhantomHolds(m, in, vs)

	sort.SliceStable(vs.list, func(i, j int) bool { return vs.list[i].Kind < vs.list[j].Kind })
	return Report{
		Violations:      vs.list,
		Counts:          nonNilCounts(vs.counts),
		Records:         len(in.Records),
		Holds:           len(m.holds),
		Orders:          len(m.orders),
		Sections:        len(m.sections),
		SeatsChecked:    seats,
		OrdersChecked:   ordersChecked,
		UnknownOutcomes: m.unknown,
		Resolved:        m.resolved,
	}
}

func nonNilCounts(c map[Kind]int) map[Kind]int {
	if c == nil {
		return map[Kind]int{}
	}
	return c
}

func latestEnd(recs []Record) time.Time {
	var t time.Time
	for _, r := range recs {
		if r.End.After(t) {
			t = r.End
		}
	}
	return t
}

// sectionKinds decides each section's kind: from a map when one was read, otherwise
// from whether its holds named seats.
func (m *model) sectionKinds(in Input) map[SectionRef]string {
	kinds := map[SectionRef]string{}
	for ref := range m.sections {
		switch {
		case in.Final.SeatMaps[ref].Kind != "":
			kinds[ref] = in.Final.SeatMaps[ref].Kind
		case in.Initial[ref].Kind != "":
			kinds[ref] = in.Initial[ref].Kind
		case m.seatHint[ref]:
			kinds[ref] = KindReserved
		default:
			kinds[ref] = KindGeneralAdmission
		}
	}
	return kinds
}

// interval is a span during which one hold certainly occupied one seat.
type interval struct {
	start, end, soldFrom time.Time
	hold                 *holdModel
}

// checkReservedOverlaps finds seats that two holds certainly occupied at one instant.
func checkReservedOverlaps(m *model, kinds map[SectionRef]string, final time.Time, opt Options, vs *violations) {
	type seatKey struct {
		ref  SectionRef
		seat string
	}
	bySeat := map[seatKey][]interval{}
	for _, h := range m.holds {
		if kinds[h.ref] != KindReserved {
			continue
		}
		start, end, sold := h.definiteInterval(final, opt)
		if !start.Before(end) {
			continue
		}
		for _, s := range h.seats {
			k := seatKey{h.ref, s}
			bySeat[k] = append(bySeat[k], interval{start, end, sold, h})
		}
	}
	keys := make([]seatKey, 0, len(bySeat))
	for k := range bySeat {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].ref != keys[j].ref {
			return keys[i].ref.String() < keys[j].ref.String()
		}
		return keys[i].seat < keys[j].seat
	})
	for _, k := range keys {
		ivs := bySeat[k]
		sort.Slice(ivs, func(i, j int) bool { return ivs[i].start.Before(ivs[j].start) })
		active := ivs[0]
		for _, iv := range ivs[1:] {
			if iv.start.Before(active.end) && iv.hold != active.hold {
				vs.add(overlapViolation(k.ref, k.seat, active, iv))
			}
			if iv.end.After(active.end) {
				active = iv
			}
		}
	}
}

func overlapViolation(ref SectionRef, seat string, a, b interval) Violation {
	v := Violation{Kind: DoubleHold, Section: ref, Seat: seat, Holds: []string{a.hold.id, b.hold.id},
		Detail: "held by users " + a.hold.user + " and " + b.hold.user + " at " + b.start.UTC().Format(time.RFC3339Nano)}
	if !a.soldFrom.IsZero() && !b.soldFrom.IsZero() {
		from := a.soldFrom
		if b.soldFrom.After(from) {
			from = b.soldFrom
		}
		to := a.end
		if b.end.Before(to) {
			to = b.end
		}
		if from.Before(to) {
			v.Kind = DoubleSale
			v.Orders = []string{a.hold.order.id, b.hold.order.id}
			v.Detail = "sold to users " + a.hold.user + " and " + b.hold.user + " at " + from.UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}

// checkGAOccupancy finds instants at which the holds that certainly occupied a
// general-admission section exceed its capacity.
func checkGAOccupancy(m *model, kinds map[SectionRef]string, in Input, final time.Time, opt Options, vs *violations) {
	type step struct {
		at    time.Time
		delta int
	}
	steps := map[SectionRef][]step{}
	for _, h := range m.holds {
		if kinds[h.ref] != KindGeneralAdmission {
			continue
		}
		start, end, _ := h.definiteInterval(final, opt)
		if !start.Before(end) {
			continue
		}
		steps[h.ref] = append(steps[h.ref], step{start, h.qty}, step{end, -h.qty})
	}
	for ref, ss := range steps {
		capacity := in.Final.SeatMaps[ref].Capacity
		if capacity == 0 {
			capacity = in.Initial[ref].Capacity
		}
		if capacity == 0 {
			continue
		}
		sort.Slice(ss, func(i, j int) bool {
			if ss[i].at.Equal(ss[j].at) {
				return ss[i].delta < ss[j].delta
			}
			return ss[i].at.Before(ss[j].at)
		})
		cur, peak := 0, 0
		var peakAt time.Time
		for _, s := range ss {
			cur += s.delta
			if cur > peak {
				peak, peakAt = cur, s.at
			}
		}
		if peak > capacity {
			vs.add(Violation{Kind: GAOversold, Section: ref,
				Detail: itoa(peak) + " places certainly taken at " + peakAt.UTC().Format(time.RFC3339Nano) + ", capacity " + itoa(capacity)})
		}
	}
}
