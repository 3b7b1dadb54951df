package linear

import (
	"fmt"
	"strings"
)

// Report is what Check found.
type Report struct {
	// Seats and Ops count the seats and the valid ops checked.
	Seats int `json:"seats"`
	Ops   int `json:"ops"`
	// Illegal lists the seats whose history is not linearizable, in key order.
	Illegal []SeatResult `json:"illegal,omitempty"`
	// TimedOut lists the seats ("<event>/<section>/<seat>") the checker could not
	// decide before the timeout, in key order.
	TimedOut []string `json:"timed_out,omitempty"`
	// Invalid lists the ops set aside because the model cannot give them a meaning
	// (no seat, an unknown kind or result, a release without a hold id...).
	Invalid []InvalidOp `json:"invalid,omitempty"`
}

// OK reports whether every seat was decided linearizable and every op was valid.
func (r Report) OK() bool {
	return len(r.Illegal) == 0 && len(r.TimedOut) == 0 && len(r.Invalid) == 0
}

// String summarizes the report, with each illegal seat's ops.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "linearizability: %d seats, %d ops, %d illegal, %d timed out, %d invalid ops\n",
		r.Seats, r.Ops, len(r.Illegal), len(r.TimedOut), len(r.Invalid))
	for _, s := range r.Illegal {
		b.WriteString(s.String())
	}
	for _, k := range r.TimedOut {
		fmt.Fprintf(&b, "timed out: %s\n", k)
	}
	for _, inv := range r.Invalid {
		fmt.Fprintf(&b, "invalid op: %s\n", inv)
	}
	return b.String()
}

// SeatResult describes one seat whose history is not linearizable.
type SeatResult struct {
	// Section is "<event_id>/<section_id>"; Seat the seat id.
	Section string `json:"section"`
	Seat    string `json:"seat"`
	// Ops is how many ops the seat's history has.
	Ops int `json:"ops"`
	// History describes the ops, one line each in call order, times in milliseconds
	// since the seat's first call; at most maxHistoryLines lines.
	History []string `json:"history"`
	// Visualization is the HTML file written for this seat, when Options.VisualizeDir
	// was set and writing worked.
	Visualization string `json:"visualization,omitempty"`
	// VisualizationError says why no visualization was written, when one was asked for.
	VisualizationError string `json:"visualization_error,omitempty"`
}

// String renders the seat and its ops on several lines.
func (s SeatResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "not linearizable: %s/%s (%d ops)\n", s.Section, s.Seat, s.Ops)
	for _, line := range s.History {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	if s.Visualization != "" {
		fmt.Fprintf(&b, "  visualization: %s\n", s.Visualization)
	}
	if s.VisualizationError != "" {
		fmt.Fprintf(&b, "  visualization failed: %s\n", s.VisualizationError)
	}
	return b.String()
}

// InvalidOp is an op Check could not give a meaning to, and why.
type InvalidOp struct {
	Op     Op     `json:"op"`
	Reason string `json:"reason"`
}

// String renders the op and the reason.
func (i InvalidOp) String() string {
	return fmt.Sprintf("%s/%s %s by fan %d: %s", i.Op.Section, i.Op.Seat, i.Op.Kind, i.Op.Client, i.Reason)
}
