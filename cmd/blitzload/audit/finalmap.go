package audit

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

// checkFinalMaps compares each final seat map with the state the records allow, and
// returns the number of reserved seats checked.
func checkFinalMaps(m *model, kinds map[SectionRef]string, in Input, opt Options, vs *violations) int {
	byRef := map[SectionRef][]*holdModel{}
	for _, h := range m.holds {
		byRef[h.ref] = append(byRef[h.ref], h)
	}
	pending := map[SectionRef][]pendingHold{}
	for _, p := range m.pending {
		pending[p.ref] = append(pending[p.ref], p)
	}
	refs := make([]SectionRef, 0, len(m.sections))
	for ref := range m.sections {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	checked := 0
	for _, ref := range refs {
		fm, ok := in.Final.SeatMaps[ref]
		if !ok {
			continue
		}
		readStart, readEnd := fm.ReadStart, fm.ReadEnd
		if readStart.IsZero() {
			readStart = in.Final.At
		}
		if readEnd.IsZero() {
			readEnd = readStart
		}
		if kinds[ref] == KindGeneralAdmission {
			checkGAMap(ref, fm, in.Initial[ref], byRef[ref], pending[ref], readStart, readEnd, opt, vs)
			continue
		}
		checked += len(fm.Seats)
		checkReservedMap(ref, fm, in.Initial[ref], byRef[ref], pending[ref], readStart, readEnd, opt, vs)
	}
	return checked
}

type claim struct {
	hold *holdModel
	can  states
}

func checkReservedMap(ref SectionRef, fm, initial SeatMap, holds []*holdModel, pending []pendingHold, readStart, readEnd time.Time, opt Options, vs *violations) {
	claims := map[string][]claim{}
	for _, h := range holds {
		st := h.finalStates(readStart, readEnd, opt)
		for _, s := range h.seats {
			claims[s] = append(claims[s], claim{h, st})
		}
	}
	explicit := map[string]bool{}
	slack := 0
	for _, p := range pending {
		for _, s := range p.seats {
			explicit[s] = true
		}
		if len(p.seats) == 0 {
			slack += p.qty
		}
	}
	seats := make([]string, 0, len(fm.Seats))
	for s := range fm.Seats {
		seats = append(seats, s)
	}
	sort.Strings(seats)
	for _, seat := range seats {
		status := fm.Seats[seat]
		cs := claims[seat]
		foreign := initial.Seats[seat]
		switch status {
		case SeatSold:
			if !anyCan(cs, func(s states) bool { return s.sold }) && foreign != SeatSold {
				vs.add(Violation{Kind: UnexplainedSold, Section: ref, Seat: seat, Holds: holdIDs(cs),
					Detail: "sold in the final map, but no order in the records may own it"})
			}
		case SeatHeld:
			if anyCan(cs, func(s states) bool { return s.held }) || explicit[seat] || foreign == SeatHeld {
				break
			}
			if slack > 0 {
				slack--
				break
			}
			vs.add(Violation{Kind: UnexplainedHeld, Section: ref, Seat: seat, Holds: holdIDs(cs),
				Detail: "held in the final map, but no hold in the records may still hold it"})
		}
		for _, c := range cs {
			want, definite := c.can.only()
			if !definite || want == status || want == SeatAvailable {
				continue
			}
			kind := LostHold
			var orders []string
			if want == SeatSold {
				kind = LostOrder
				orders = []string{c.hold.order.id}
			}
			vs.add(Violation{Kind: kind, Section: ref, Seat: seat, Holds: []string{c.hold.id}, Orders: orders,
				Detail: fmt.Sprintf("must be %s for user %s, final map shows %s", want, c.hold.user, status)})
		}
	}
	for seat, cs := range claims {
		if _, ok := fm.Seats[seat]; !ok {
			vs.add(Violation{Kind: HoldMismatch, Section: ref, Seat: seat, Holds: holdIDs(cs),
				Detail: "a hold names a seat the section does not have"})
		}
	}
}

func checkGAMap(ref SectionRef, fm, initial SeatMap, holds []*holdModel, pending []pendingHold, readStart, readEnd time.Time, opt Options, vs *violations) {
	add := func(kind Kind, format string, a ...any) {
		vs.add(Violation{Kind: kind, Section: ref, Detail: fmt.Sprintf(format, a...)})
	}
	if fm.Sold+fm.Held+fm.Available != fm.Capacity {
		add(GACounts, "sold %d + held %d + available %d != capacity %d", fm.Sold, fm.Held, fm.Available, fm.Capacity)
	}
	if fm.Sold+fm.Held > fm.Capacity || fm.Available < 0 {
		add(GAOversold, "final map: sold %d + held %d over capacity %d", fm.Sold, fm.Held, fm.Capacity)
	}
	var defSold, posSold, defHeld, posHeld int
	for _, h := range holds {
		st := h.finalStates(readStart, readEnd, opt)
		if st.sold {
			posSold += h.qty
		}
		if st.held {
			posHeld += h.qty
		}
		if one, ok := st.only(); ok && one == SeatSold {
			defSold += h.qty
		} else if ok && one == SeatHeld {
			defHeld += h.qty
		}
	}
	for _, p := range pending {
		posHeld += p.qty
	}
	posSold += initial.Sold
	posHeld += initial.Held
	if fm.Sold < defSold {
		add(LostOrder, "final map sells %d, confirmed orders in the records hold %d", fm.Sold, defSold)
	}
	if fm.Sold > posSold {
		add(UnexplainedSold, "final map sells %d, the records explain at most %d", fm.Sold, posSold)
	}
	if fm.Held < defHeld {
		add(LostHold, "final map holds %d, live holds in the records hold %d", fm.Held, defHeld)
	}
	if fm.Held > posHeld {
		add(UnexplainedHeld, "final map holds %d, the records explain at most %d", fm.Held, posHeld)
	}
}

func anyCan(cs []claim, f func(states) bool) bool {
	for _, c := range cs {
		if f(c.can) {
			return true
		}
	}
	return false
}

func holdIDs(cs []claim) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.hold.id)
	}
	return out
}
