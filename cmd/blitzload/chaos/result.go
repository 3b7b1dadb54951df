package chaos

import (
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/linear"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stream"
)

// Result is one scenario's outcome: what the fault cost and what the audits found.
type Result struct {
	Scenario Scenario `json:"scenario"`
	Nodes    int      `json:"nodes"`
	Fans     int      `json:"fans"`
	// Sale is how long the fans ran; Decisions counts their operations that got a
	// definite answer (2xx or 4xx), retries counted once.
	Sale      time.Duration `json:"sale_ns"`
	Decisions int           `json:"decisions"`
	// P50 and P99 are the decisions' latencies, retries included.
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	// Victim is the node the fault hit (the added node for Add); Moved the sections
	// it hosted at the fault (for Add: the sections that moved onto it).
	Victim string   `json:"victim"`
	Moved  []string `json:"moved"`
	// Failover is the longest, over the moved sections, from the fault to the first
	// definite answer to an operation on that section started after the fault.
	Failover          time.Duration            `json:"failover_ns"`
	FailoverBySection map[string]time.Duration `json:"failover_by_section_ns"`
	// Rebalance (Add): from the new node's readiness to the first definite answer on
	// the last section that moved onto it, after its lease moved.
	Rebalance time.Duration `json:"rebalance_ns,omitempty"`
	// Started (Add, Restart): from the new process's start to its /readyz 200.
	Started time.Duration `json:"started_ns,omitempty"`
	// Exit (Stop: after SIGCONT; Drain: after the drain request): whether and when the
	// node's process ended, and its status.
	Exited    bool          `json:"exited"`
	ExitAfter time.Duration `json:"exit_after_ns,omitempty"`
	ExitCode  int           `json:"exit_code"`
	// DrainStatus is the HTTP status of POST /api/v1/cluster/drain.
	DrainStatus int `json:"drain_status,omitempty"`
	// Fails counts attempts that got no definite answer, by kind; GivenUp counts
	// operations that spent their retry budget; Settled and Unknown say how many of
	// those were settled afterwards and how many stayed unknown.
	Fails   map[string]int `json:"fails"`
	GivenUp int            `json:"given_up"`
	Settled int            `json:"settled"`
	Unknown int            `json:"unknown"`
	// SlowestDuringFault is the longest operation that overlapped the fault window.
	SlowestDuringFault time.Duration `json:"slowest_during_fault_ns"`
	// Unsound lists sections left out of the linearizability check.
	Unsound []string      `json:"unsound,omitempty"`
	Audit   audit.Report  `json:"audit"`
	Linear  linear.Report `json:"linear"`
	Stream  stream.Report `json:"stream"`
	Notes   []string      `json:"notes,omitempty"`
	WorkDir string        `json:"work_dir"`
}

// OK reports whether every audit passed.
func (r Result) OK() bool { return r.Audit.OK() && r.Linear.OK() && r.Stream.OK() }

// FailedAttempts sums Fails.
func (r Result) FailedAttempts() int {
	n := 0
	for _, v := range r.Fails {
		n += v
	}
	return n
}
