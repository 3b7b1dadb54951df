package audit

import (
	"fmt"
	"io"
	"sort"
)

// Kind names a class of violation.
type Kind string

// The violations Check reports.
const (
	// DoubleHold: two different holds held (or one held, one sold) a seat at once.
	DoubleHold Kind = "double_hold"
	// DoubleSale: two different orders sold a seat at once.
	DoubleSale Kind = "double_sale"
	// GAOversold: a general-admission section had more seats taken than its capacity.
	GAOversold Kind = "ga_oversold"
	// GACounts: a general-admission map whose counts do not add up to its capacity.
	GACounts Kind = "ga_counts"
	// LostOrder: a confirmed order that cannot be read back, is not confirmed, or whose
	// seats are not sold in the final map.
	LostOrder Kind = "lost_order"
	// OrderMismatch: an order read back with other seats, hold or owner.
	OrderMismatch Kind = "order_mismatch"
	// LostHold: a hold that must still be held but is not in the final map.
	LostHold Kind = "lost_hold"
	// UnexplainedSold: a seat sold in the final map that no order in the records explains.
	UnexplainedSold Kind = "unexplained_sold"
	// UnexplainedHeld: a seat held in the final map that no live hold explains.
	UnexplainedHeld Kind = "unexplained_held"
	// UnexplainedOrder: an order read back that the records never confirmed.
	UnexplainedOrder Kind = "unexplained_order"
	// HoldMismatch: a successful hold whose seats or quantity differ from the request.
	HoldMismatch Kind = "hold_mismatch"
	// HoldIDReused: one hold id answered to two different users.
	HoldIDReused Kind = "hold_id_reused"
	// PhantomHold: a fan holds a hold no request was answered with, in a section where the
	// fan's hold requests were answered 503 or not at all. A 503 means nothing was
	// decided, now or later.
	PhantomHold Kind = "phantom_hold"
)

// Violation is one broken guarantee.
type Violation struct {
	Kind    Kind       `json:"kind"`
	Section SectionRef `json:"section"`
	Seat    string     `json:"seat,omitempty"`
	Holds   []string   `json:"holds,omitempty"`
	Orders  []string   `json:"orders,omitempty"`
	Detail  string     `json:"detail"`
}

// String returns a one-line description.
func (v Violation) String() string {
	s := fmt.Sprintf("%s %s", v.Kind, v.Section)
	if v.Seat != "" {
		s += " seat " + v.Seat
	}
	if len(v.Holds) > 0 {
		s += fmt.Sprintf(" holds %v", v.Holds)
	}
	if len(v.Orders) > 0 {
		s += fmt.Sprintf(" orders %v", v.Orders)
	}
	return s + ": " + v.Detail
}

// Report is the result of Check.
type Report struct {
	// Violations lists up to Options.MaxListed violations of each kind.
	Violations []Violation `json:"violations"`
	// Counts counts every violation by kind, listed or not.
	Counts map[Kind]int `json:"counts"`

	Records         int `json:"records"`
	Holds           int `json:"holds"`
	Orders          int `json:"orders"`
	Sections        int `json:"sections"`
	SeatsChecked    int `json:"seats_checked"`
	OrdersChecked   int `json:"orders_checked"`
	UnknownOutcomes int `json:"unknown_outcomes"`
	// Resolved counts unknown outcomes settled by a retry with the same idempotency
	// key or by reading orders back.
	Resolved int `json:"resolved"`
}

// OK reports whether no violation was found.
func (r Report) OK() bool { return r.Total() == 0 }

// Total returns the number of violations of every kind.
func (r Report) Total() int {
	n := 0
	for _, c := range r.Counts {
		n += c
	}
	return n
}

// WriteText prints the report for a person.
func (r Report) WriteText(w io.Writer) error {
	verdict := "PASS"
	if !r.OK() {
		verdict = "FAIL"
	}
	_, err := fmt.Fprintf(w, "audit %s: %d violations; %d records, %d holds, %d orders, %d sections, %d seats and %d orders checked, %d unknown outcomes (%d resolved)\n",
		verdict, r.Total(), r.Records, r.Holds, r.Orders, r.Sections, r.SeatsChecked, r.OrdersChecked, r.UnknownOutcomes, r.Resolved)
	if err != nil {
		return fmt.Errorf("write audit report: %w", err)
	}
	kinds := make([]string, 0, len(r.Counts))
	for k := range r.Counts {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		if _, err := fmt.Fprintf(w, "  %-18s %d\n", k, r.Counts[Kind(k)]); err != nil {
			return fmt.Errorf("write audit report: %w", err)
		}
	}
	for _, v := range r.Violations {
		if _, err := fmt.Fprintf(w, "  - %s\n", v); err != nil {
			return fmt.Errorf("write audit report: %w", err)
		}
	}
	return nil
}

// violations accumulates a Report's violations, listing at most max per kind.
type violations struct {
	max    int
	list   []Violation
	counts map[Kind]int
}

func (vs *violations) add(v Violation) {
	if vs.counts == nil {
		vs.counts = map[Kind]int{}
	}
	vs.counts[v.Kind]++
	if vs.counts[v.Kind] <= vs.max {
		vs.list = append(vs.list, v)
	}
}
