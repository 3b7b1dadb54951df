package actors

// RecordPage is a page of a section's attempt log, as a viewer that replays the sale
// step by step reads it: the attempts in decision order, and where each batch that
// committed a version ended, so that the attempts can be grouped by the batch that
// wrote them.
type RecordPage struct {
	// FirstSeq is the number of the oldest attempt the log still holds (0 when it holds
	// none): older ones are past retention.
	FirstSeq int64
	// LastSeq is the number of the section's last attempt.
	LastSeq  int64
	Attempts []Attempt
	// Committed gives, for the versions of the page's attempts, the number of the last
	// attempt the batch that committed the version wrote; a version the store keeps no
	// link for is absent.
	Committed map[int64]int64
}

// RecordOnly reports whether a was written by a batch of refusals alone (one that
// moved no version), after the batch that committed a.Version, rather than by that
// batch itself. It is false when the page does not know.
func (p RecordPage) RecordOnly(a Attempt) bool {
	last, ok := p.Committed[a.Version]
	return ok && a.Seq > last
}
