package stream

import (
	"sort"
)

// Expect is what the clients' own records say must be in the stream.
type Expect struct {
	// FinalVersions is each section's version as read from the final seat map (GET
	// …/seats), by "<event_id>/<section_id>": section.changed must hold exactly versions
	// 1..v for it, once each, in offset order. Only these sections' records are checked.
	FinalVersions map[string]int64
	// Holds are the hold ids the clients saw created (201): exactly one seat.reserved
	// each.
	Holds []string
	// Orders are the order ids of confirms answered 201: exactly one booking.created
	// each.
	Orders []string
	// Released are the hold ids released with 200: exactly one seat.released with
	// reason "released" each.
	Released []string
	// Cancelled are the order ids cancelled with 200: exactly one booking.cancelled
	// each.
	Cancelled []string
}

// Check audits the records of the sections in exp.FinalVersions against exp.
func Check(msgs []Message, exp Expect) Report {
	vs := &violations{}
	records := inScope(msgs, exp.FinalVersions)
	good := decodeUnique(records, vs)
	checkSectionVersions(good, exp.FinalVersions, vs)
	checkDomainOrder(good, vs)
	unexplained := checkExpected(good, exp, vs)

	sort.SliceStable(vs.list, func(i, j int) bool { return vs.list[i].Kind < vs.list[j].Kind })
	counts := vs.counts
	if counts == nil {
		counts = map[string]int{}
	}
	return Report{
		Messages:    len(records),
		Sections:    len(exp.FinalVersions),
		Violations:  vs.list,
		Counts:      counts,
		Unexplained: unexplained,
	}
}

// inScope keeps the records of the checked sections, in stream order: by topic, then
// partition, then offset.
func inScope(msgs []Message, final map[string]int64) []Message {
	var out []Message
	for _, m := range msgs {
		if _, ok := final[m.Key]; ok {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		if a.Partition != b.Partition {
			return a.Partition < b.Partition
		}
		return a.Offset < b.Offset
	})
	return out
}

// decodeUnique decodes every record and drops the undecodable ones and the later
// copies of an envelope, reporting both.
func decodeUnique(records []Message, vs *violations) []decoded {
	first := map[string]Message{}
	var out []decoded
	for _, m := range records {
		d, err := decode(m)
		if err != nil {
			vs.add(KindUndecodable, m.Key, "%s: %v", m, err)
			continue
		}
		if prev, dup := first[d.env.ID]; dup {
			vs.add(KindDuplicateEnvelope, d.env.ID, "%s repeats %s", m, prev)
			continue
		}
		first[d.env.ID] = m
		out = append(out, d)
	}
	return out
}
