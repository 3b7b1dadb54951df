package stream

import (
	"fmt"
	"sort"
	"strings"
)

// The kinds of Violation. The strings are stable: reports and dashboards key on them.
const (
	// KindDuplicateEnvelope: one envelope id in two records, anywhere in the stream.
	// Later copies are left out of every other check, so one duplicated publish is
	// reported once.
	KindDuplicateEnvelope = "duplicate_envelope"
	// KindUndecodable: a record that is not the contract's envelope: bad JSON, no id,
	// the wrong type for its topic, a key that disagrees with the envelope's event and
	// section, data that does not decode or lacks its version.
	KindUndecodable = "undecodable"
	// KindVersionGap: section.changed skipped versions: v follows a highest version
	// below v-1.
	KindVersionGap = "version_gap"
	// KindVersionDuplicate: a section version published twice (as two envelopes).
	KindVersionDuplicate = "version_duplicate"
	// KindVersionOutOfOrder: a section version published after a higher one.
	KindVersionOutOfOrder = "version_out_of_order"
	// KindVersionBeyondFinal: a section version above the final seat map's.
	KindVersionBeyondFinal = "version_beyond_final"
	// KindMissingVersions: section.changed never reached the final seat map's version.
	KindMissingVersions = "missing_versions"
	// KindDomainOutOfOrder: on one topic and key, data.section_version decreased from
	// one record to the next.
	KindDomainOutOfOrder = "domain_out_of_order"
	// KindMissingEvent: a hold, order, release or cancellation the clients saw succeed
	// has no record.
	KindMissingEvent = "missing_event"
	// KindDuplicateEvent: such an outcome has more than one record.
	KindDuplicateEvent = "duplicate_event"
)

// Violation is one broken promise of the stream.
type Violation struct {
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Key is what the violation is about: the section "<event_id>/<section_id>" for
	// ordering kinds and undecodable records, the envelope id for duplicate_envelope,
	// the hold or order id for missing_event and duplicate_event.
	Key string `json:"key"`
	// Detail says what was seen, and where ("topic/partition@offset").
	Detail string `json:"detail"`
}

// String renders "kind key: detail".
func (v Violation) String() string { return v.Kind + " " + v.Key + ": " + v.Detail }

// Report is what Check found.
type Report struct {
	// Messages counts the records checked: those of the sections in
	// Expect.FinalVersions.
	Messages int `json:"messages"`
	// Sections counts the sections checked.
	Sections int `json:"sections"`
	// Violations lists what is wrong, grouped by kind then in stream order.
	Violations []Violation `json:"violations,omitempty"`
	// Counts counts Violations by kind.
	Counts map[string]int `json:"counts"`
	// Unexplained counts, by topic, the domain events no client outcome accounts for:
	// holds, orders, releases and cancellations whose answer the clients never saw.
	// They are expected when outcomes were unknown, so they are not violations.
	Unexplained map[string]int `json:"unexplained"`
}

// OK reports whether the stream has no violation.
func (r Report) OK() bool { return len(r.Violations) == 0 }

// String summarizes the report: counts, then each violation on its own line.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stream: %d records, %d sections, %d violations", r.Messages, r.Sections, len(r.Violations))
	kinds := make([]string, 0, len(r.Counts))
	for k := range r.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&b, " %s=%d", k, r.Counts[k])
	}
	b.WriteString("\n")
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "  %s\n", v)
	}
	return b.String()
}

// violations collects what Check finds.
type violations struct {
	list   []Violation
	counts map[string]int
}

func (vs *violations) add(kind, key, format string, args ...any) {
	vs.list = append(vs.list, Violation{Kind: kind, Key: key, Detail: fmt.Sprintf(format, args...)})
	if vs.counts == nil {
		vs.counts = map[string]int{}
	}
	vs.counts[kind]++
}
