package stream

import (
	"sort"
)

// sectionVersions follows one section's section.changed records in stream order.
type sectionVersions struct {
	seen    map[int64]Message
	highest int64
}

// checkSectionVersions checks that each section's section.changed records hold
// versions 1..final exactly once each, rising by one.
func checkSectionVersions(records []decoded, final map[string]int64, vs *violations) {
	sections := map[string]*sectionVersions{}
	for _, d := range records {
		if d.msg.Topic != TopicSectionChanged {
			continue
		}
		key := d.msg.Key
		s := sections[key]
		if s == nil {
			s = &sectionVersions{seen: map[int64]Message{}}
			sections[key] = s
		}
		v := *d.section.Version
		switch prev, dup := s.seen[v]; {
		case dup:
			vs.add(KindVersionDuplicate, key, "version %d at %s repeats %s", v, d.msg, prev)
			continue
		case v > final[key]:
			vs.add(KindVersionBeyondFinal, key, "version %d at %s, final seat map is at %d", v, d.msg, final[key])
		case v < s.highest:
			vs.add(KindVersionOutOfOrder, key, "version %d at %s after version %d", v, d.msg, s.highest)
		case v > s.highest+1:
			vs.add(KindVersionGap, key, "version %d at %s follows version %d", v, d.msg, s.highest)
		}
		s.seen[v] = d.msg
		s.highest = max(s.highest, v)
	}

	keys := make([]string, 0, len(final))
	for k := range final {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		var highest int64
		if s := sections[key]; s != nil {
			highest = s.highest
		}
		if highest < final[key] {
			vs.add(KindMissingVersions, key, "section.changed reached version %d, final seat map is at %d", highest, final[key])
		}
	}
}

// reached returns the highest section.changed version each section reached.
func reached(msgs []Message, final map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for _, m := range msgs {
		if m.Topic != TopicSectionChanged {
			continue
		}
		if _, ok := final[m.Key]; !ok {
			continue
		}
		if d, err := decode(m); err == nil {
			out[m.Key] = max(out[m.Key], *d.section.Version)
		}
	}
	return out
}
