package soak

import (
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// Result is a soak's outcome.
type Result struct {
	Nodes           int           `json:"nodes"`
	Rate            float64       `json:"rate"`
	Sections        int           `json:"sections"`
	SeatsPerSection int           `json:"seats_per_section"`
	Users           int           `json:"users"`
	HoldTTL         time.Duration `json:"hold_ttl_ns"`
	// The nodes' retention settings.
	IdempotencyRetention   time.Duration `json:"idempotency_retention_ns"`
	OutboxRetention        time.Duration `json:"outbox_retention_ns"`
	NotificationsRetention time.Duration `json:"notifications_retention_ns"`
	ExpirySlack            time.Duration `json:"expiry_slack_ns"`
	// Sale is how long the mixed sale ran.
	Sale time.Duration `json:"sale_ns"`
	// Journeys counts the fans' visits (the burst before the kill included);
	// Decisions their definite answers to state-changing calls, the probes included.
	Journeys  int   `json:"journeys"`
	Decisions int64 `json:"decisions"`
	// Ops counts the operations by what their answer was.
	Ops map[string]int `json:"ops"`
	// BySection counts the decisions of each section.
	BySection map[string]int `json:"by_section"`
	// Failed counts operations that ran out of attempts without a definite answer;
	// Skipped counts arrivals dropped because too many journeys were under way.
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	// Samples are taken every SampleEvery during the sale, one after the kill's
	// restart, and one after every hold had expired (Final).
	Samples []Sample     `json:"samples"`
	Final   Sample       `json:"final"`
	Kill    Kill         `json:"kill"`
	Audit   audit.Report `json:"audit"`
	WorkDir string       `json:"work_dir"`
}

// MaxOverdue is the most holds any sample found held past their expiry and the slack.
func (r Result) MaxOverdue() int64 {
	n := r.Final.Overdue
	for _, s := range r.Samples {
		n = max(n, s.Overdue)
	}
	return n
}

// AllAnswered reports whether every section of the killed node answered again.
func (r Result) AllAnswered() bool {
	for _, a := range r.Kill.Activations {
		if !a.Answered {
			return false
		}
	}
	return len(r.Kill.Activations) > 0
}

// OK reports whether the audit passed, no hold outlived its expiry and the slack, and
// every section of the killed node answered again.
func (r Result) OK() bool {
	return r.Audit.OK() && r.MaxOverdue() == 0 && r.AllAnswered()
}
