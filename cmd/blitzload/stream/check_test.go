package stream

import (
	"strings"
	"testing"
)

func TestCheckCleanStream(t *testing.T) {
	s, exp := cleanSale()
	rep := Check(s.msgs, exp)
	if !rep.OK() {
		t.Fatalf("clean stream rejected: %s", rep)
	}
	if rep.Messages != 14 || rep.Sections != 2 {
		t.Fatalf("checked %d records of %d sections", rep.Messages, rep.Sections)
	}
	if rep.Unexplained[TopicSeatReserved] != 1 || len(rep.Counts) != 0 {
		t.Fatalf("unexplained %v, counts %v", rep.Unexplained, rep.Counts)
	}
}

func TestCheckOrderDoesNotDependOnInputOrder(t *testing.T) {
	s, exp := cleanSale()
	reversed := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		reversed[len(s.msgs)-1-i] = m
	}
	if rep := Check(reversed, exp); !rep.OK() {
		t.Fatalf("clean stream given backwards rejected: %s", rep)
	}
}

func TestCheckViolations(t *testing.T) {
	tests := []struct {
		name string
		// mutate breaks the clean sale.
		mutate func(s *stream, exp *Expect)
		kind   string
		key    string
		detail string
		// others lists the other kinds the same fault shows as.
		others []string
	}{
		{"duplicate envelope", func(s *stream, _ *Expect) {
			s.addWithID(TopicPaymentProcessed, keyA, "env-5", map[string]any{"hold_id": "h1", "status": "approved"})
		}, KindDuplicateEnvelope, "env-5", "payment.processed/0@1 repeats payment.processed/0@0", nil},
		{"undecodable value", func(s *stream, _ *Expect) {
			s.raw(TopicSeatReserved, keyA, []byte("{not json"))
		}, KindUndecodable, keyA, "seat.reserved/0@4: envelope:", nil},
		{"envelope without id", func(s *stream, _ *Expect) {
			s.addWithID(TopicSeatReserved, keyA, "", map[string]any{"hold_id": "h9", "section_version": 3})
		}, KindUndecodable, keyA, "without an id", nil},
		{"wrong type for the topic", func(s *stream, _ *Expect) {
			m := s.changed(keyA, 4)
			s.msgs[len(s.msgs)-1].Value = []byte(strings.Replace(string(m.Value), "SectionChanged", "SeatReserved", 1))
		}, KindUndecodable, keyA, `type "SeatReserved" on topic section.changed`, nil},
		{"key disagrees with the envelope", func(s *stream, _ *Expect) {
			m := s.changed(keyA, 4)
			s.msgs[len(s.msgs)-1].Value = []byte(strings.Replace(string(m.Value), `"section_id":"A"`, `"section_id":"B"`, 1))
		}, KindUndecodable, keyA, `envelope names "e1/B" but the key is "e1/A"`, nil},
		{"domain record without section_version", func(s *stream, _ *Expect) {
			s.add(TopicBookingCancelled, keyA, map[string]any{"order_id": "o1"})
		}, KindUndecodable, keyA, "without section_version", nil},
		{"section.changed without version", func(s *stream, _ *Expect) {
			s.add(TopicSectionChanged, keyA, map[string]any{"kind": "reserved"})
		}, KindUndecodable, keyA, "without a version", nil},
		{"data of the wrong shape", func(s *stream, _ *Expect) {
			s.add(TopicSeatReserved, keyA, map[string]any{"hold_id": 7, "section_version": 3})
		}, KindUndecodable, keyA, "seat.reserved data:", nil},
		{"version gap", func(s *stream, exp *Expect) {
			s.changed(keyA, 5)
			exp.FinalVersions[keyA] = 5
		}, KindVersionGap, keyA, "version 5 at section.changed/0@7 follows version 3", nil},
		{"version published twice", func(s *stream, _ *Expect) {
			s.changed(keyB, 2)
		}, KindVersionDuplicate, keyB, "version 2 at section.changed/0@7 repeats section.changed/0@3", nil},
		{"version out of order", func(s *stream, _ *Expect) {
			// A's versions 2 (offset 2) and 3 (offset 4) swap places: a live client
			// sees the gap first, then the late version.
			for i, m := range s.msgs {
				if m.Topic == TopicSectionChanged && m.Offset == 2 {
					s.msgs[i].Offset = 4
				} else if m.Topic == TopicSectionChanged && m.Offset == 4 {
					s.msgs[i].Offset = 2
				}
			}
		}, KindVersionOutOfOrder, keyA, "version 2 at section.changed/0@4 after version 3", []string{KindVersionGap}},
		{"version beyond the final map", func(s *stream, _ *Expect) {
			s.changed(keyB, 4)
		}, KindVersionBeyondFinal, keyB, "version 4 at section.changed/0@7, final seat map is at 3", nil},
		{"final version never reached", func(_ *stream, exp *Expect) {
			exp.FinalVersions[keyA] = 4
		}, KindMissingVersions, keyA, "reached version 3, final seat map is at 4", nil},
		{"section with no record at all", func(_ *stream, exp *Expect) {
			exp.FinalVersions["e1/C"] = 1
		}, KindMissingVersions, "e1/C", "reached version 0, final seat map is at 1", nil},
		{"domain record out of order", func(s *stream, _ *Expect) {
			s.reserved(keyB, "h-late", 1)
		}, KindDomainOutOfOrder, keyB, "seat.reserved/0@4 has section_version 1 after 3 at seat.reserved/0@2", nil},
		{"missing seat.reserved", func(_ *stream, exp *Expect) {
			exp.Holds = append(exp.Holds, "h7")
		}, KindMissingEvent, "h7", "no seat.reserved record for hold h7", nil},
		{"missing booking.created", func(_ *stream, exp *Expect) {
			exp.Orders = append(exp.Orders, "o7")
		}, KindMissingEvent, "o7", "no booking.created record for order o7", nil},
		{"release with another reason does not count", func(_ *stream, exp *Expect) {
			exp.Released = append(exp.Released, "h1")
		}, KindMissingEvent, "h1", "no seat.released record for released hold h1", nil},
		{"missing booking.cancelled", func(_ *stream, exp *Expect) {
			exp.Cancelled = append(exp.Cancelled, "o7")
		}, KindMissingEvent, "o7", "no booking.cancelled record for cancelled order o7", nil},
		{"hold published twice", func(s *stream, _ *Expect) {
			s.reserved(keyA, "h1", 3)
		}, KindDuplicateEvent, "h1", "2 seat.reserved records for hold h1", nil},
		{"order published twice", func(s *stream, _ *Expect) {
			s.created(keyA, "h1", "o1", 3)
		}, KindDuplicateEvent, "o1", "2 booking.created records for order o1", nil},
		{"release published twice", func(s *stream, _ *Expect) {
			s.released(keyB, "h2", ReasonReleased, 3)
		}, KindDuplicateEvent, "h2", "2 seat.released records for released hold h2", nil},
		{"cancellation published twice", func(s *stream, _ *Expect) {
			s.cancelled(keyA, "o1", 3)
		}, KindDuplicateEvent, "o1", "2 booking.cancelled records for cancelled order o1", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, exp := cleanSale()
			tc.mutate(s, &exp)
			rep := Check(s.msgs, exp)
			if rep.OK() || len(rep.Violations) != 1+len(tc.others) || rep.Counts[tc.kind] != 1 {
				t.Fatalf("want one %s and %v, got %s", tc.kind, tc.others, rep)
			}
			for _, other := range tc.others {
				if rep.Counts[other] != 1 {
					t.Fatalf("want one %s too, got %s", other, rep)
				}
			}
			for _, v := range rep.Violations {
				if v.Kind != tc.kind {
					continue
				}
				if v.Key != tc.key || !strings.Contains(v.Detail, tc.detail) {
					t.Fatalf("got %s\nwant %s %s: …%s…", v, tc.kind, tc.key, tc.detail)
				}
			}
		})
	}
}

func TestCheckDuplicateEnvelopeIsReportedOnce(t *testing.T) {
	s, exp := cleanSale()
	// The relay publishes A's version 3 again, same envelope: one violation, not also
	// a duplicate version or a duplicate cancellation.
	for _, m := range s.msgs {
		if m.Key == keyA && (m.Topic == TopicSectionChanged || m.Topic == TopicBookingCancelled) {
			s.raw(m.Topic, m.Key, m.Value)
		}
	}
	rep := Check(s.msgs, exp)
	if rep.Counts[KindDuplicateEnvelope] != 4 || len(rep.Counts) != 1 {
		t.Fatalf("report %s", rep)
	}
}

func TestCheckSeveralViolationsAreSortedByKind(t *testing.T) {
	s, exp := cleanSale()
	s.changed(keyB, 2)
	exp.Holds = append(exp.Holds, "h7", "h7")
	exp.FinalVersions[keyA] = 9
	rep := Check(s.msgs, exp)
	var kinds []string
	for _, v := range rep.Violations {
		kinds = append(kinds, v.Kind)
	}
	want := []string{KindMissingEvent, KindMissingVersions, KindVersionDuplicate}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("kinds %v, want %v\n%s", kinds, want, rep)
	}
	text := rep.String()
	for _, w := range []string{"3 violations", "missing_event=1", "missing_versions=1", "version_duplicate=1", "missing_event h7: no seat.reserved"} {
		if !strings.Contains(text, w) {
			t.Errorf("report lacks %q:\n%s", w, text)
		}
	}
}

func TestCheckEmpty(t *testing.T) {
	rep := Check(nil, Expect{})
	if !rep.OK() || rep.Messages != 0 || rep.Counts == nil || rep.Unexplained == nil {
		t.Fatalf("report %+v", rep)
	}
}
