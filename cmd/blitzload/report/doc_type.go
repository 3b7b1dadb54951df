package report

import (
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

// Fact is one named result, shown in order.
type Fact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Doc is everything a report shows about one run.
type Doc struct {
	Title     string        `json:"title"`
	Command   string        `json:"command"`
	Generated time.Time     `json:"generated"`
	Facts     []Fact        `json:"facts"`
	Notes     []string      `json:"notes,omitempty"`
	Summary   stats.Summary `json:"summary"`
	// Audit is nil when the run was not audited.
	Audit *audit.Report `json:"audit,omitempty"`
	// Details carries anything else worth keeping in the JSON (the configuration).
	Details any `json:"details,omitempty"`
}
