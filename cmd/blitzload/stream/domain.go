package stream

// checkDomainOrder checks that, on each domain topic and key, data.section_version
// never decreases in stream order. Several records may share a version: one commit can
// publish several events.
func checkDomainOrder(records []decoded, vs *violations) {
	type place struct{ topic, key string }
	last := map[place]decoded{}
	for _, d := range records {
		if d.domain.SectionVersion == nil {
			continue
		}
		p := place{d.msg.Topic, d.msg.Key}
		if prev, ok := last[p]; ok && *d.domain.SectionVersion < *prev.domain.SectionVersion {
			vs.add(KindDomainOutOfOrder, d.msg.Key, "%s has section_version %d after %d at %s",
				d.msg, *d.domain.SectionVersion, *prev.domain.SectionVersion, prev.msg)
		}
		last[p] = d
	}
}

// expectation is one Expect list and the records that must match it.
type expectation struct {
	topic string
	what  string // names the ids in details
	ids   []string
	// id returns the record's id to match, or "" when the record does not count.
	id func(d decoded) string
}

func expectations(exp Expect) []expectation {
	return []expectation{
		{TopicSeatReserved, "hold", exp.Holds, func(d decoded) string { return d.domain.HoldID }},
		{TopicBookingCreated, "order", exp.Orders, func(d decoded) string { return d.domain.OrderID }},
		{TopicSeatReleased, "released hold", exp.Released, func(d decoded) string {
			if d.domain.Reason != ReasonReleased {
				return ""
			}
			return d.domain.HoldID
		}},
		{TopicBookingCancelled, "cancelled order", exp.Cancelled, func(d decoded) string { return d.domain.OrderID }},
	}
}

// checkExpected checks that each id of the Expect lists has exactly one record, and
// counts, by topic, the records no id accounts for.
func checkExpected(records []decoded, exp Expect, vs *violations) map[string]int {
	unexplained := map[string]int{}
	for _, e := range expectations(exp) {
		found := map[string][]Message{}
		for _, d := range records {
			if d.msg.Topic != e.topic {
				continue
			}
			if id := e.id(d); id != "" {
				found[id] = append(found[id], d.msg)
			}
		}
		want := map[string]bool{}
		for _, id := range e.ids {
			if want[id] {
				continue
			}
			want[id] = true
			switch n := len(found[id]); {
			case n == 0:
				vs.add(KindMissingEvent, id, "no %s record for %s %s", e.topic, e.what, id)
			case n > 1:
				vs.add(KindDuplicateEvent, id, "%d %s records for %s %s: %v", n, e.topic, e.what, id, found[id])
			}
		}
		for id, recs := range found {
			if !want[id] {
				unexplained[e.topic] += len(recs)
			}
		}
	}
	return unexplained
}
