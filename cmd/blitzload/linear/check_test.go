package linear

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckCatchesIllegalHistories(t *testing.T) {
	tests := []struct {
		name string
		ops  []Op
	}{
		{"seat held by two holds at once", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			hold(1, "h2", ResultOK, 20, 30),
			release(0, "h1", ResultOK, 40, 50),
		}},
		{"read shows available after a committed hold", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			read(1, StatusAvailable, 20, 30),
			release(0, "h1", ResultOK, 40, 50),
		}},
		{"sold seat held again without a cancel", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			confirm(0, "h1", "o1", ResultOK, 20, 30),
			hold(1, "h2", ResultOK, 40, 50),
		}},
		{"confirm of a hold released earlier", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			release(0, "h1", ResultOK, 20, 30),
			confirm(0, "h1", "o1", ResultOK, 40, 50),
		}},
		{"hold refused on a seat nobody has", []Op{
			hold(0, "h1", ResultRefused, 0, 10),
		}},
		{"release refused while the hold is live", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			release(0, "h1", ResultRefused, 20, 30),
			read(1, StatusHeld, 40, 50),
		}},
		{"declined confirm of a hold that is gone", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			release(0, "h1", ResultOK, 20, 30),
			confirm(0, "h1", "o1", ResultDeclined, 40, 50),
		}},
		{"cancelled order's seat still read as sold", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			confirm(0, "h1", "o1", ResultOK, 20, 30),
			cancel(0, "o1", ResultOK, 40, 50),
			read(1, StatusSold, 60, 70),
		}},
		{"read of held after an answered release", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			release(0, "h1", ResultOK, 20, 30),
			read(1, StatusHeld, 40, 50),
		}},
		{"unknown hold cannot explain a second hold while the first is live", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			hold(1, "h2", ResultUnknown, 20, -1),
			confirm(1, "h2", "o2", ResultOK, 30, 40),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := Check(tc.ops, Options{})
			if rep.OK() || len(rep.Illegal) != 1 {
				t.Fatalf("history accepted: %s", rep)
			}
			got := rep.Illegal[0]
			if got.Section != sec || got.Seat != "A-1" || got.Ops != len(tc.ops) || len(got.History) != len(tc.ops) {
				t.Fatalf("illegal seat reported as %+v", got)
			}
			if len(rep.TimedOut) != 0 || len(rep.Invalid) != 0 {
				t.Fatalf("unexpected timeouts or invalid ops: %s", rep)
			}
		})
	}
}

func TestCheckAcceptsLegalHistories(t *testing.T) {
	tests := []struct {
		name string
		ops  []Op
	}{
		{"concurrent holds where one wins", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			hold(1, "h2", ResultRefused, 1, 4),
			hold(2, "h3", ResultRefused, 2, 12),
			read(3, StatusHeld, 11, 13),
		}},
		{"unknown hold that took effect", []Op{
			hold(0, "h1", ResultUnknown, 0, -1),
			read(1, StatusHeld, 20, 30),
			release(0, "h1", ResultOK, 40, 50),
			read(1, StatusAvailable, 60, 70),
		}},
		{"unknown hold that did not take effect", []Op{
			hold(0, "h1", ResultUnknown, 0, 5),
			hold(1, "h2", ResultOK, 20, 30),
			confirm(1, "h2", "o2", ResultOK, 40, 50),
			read(2, StatusSold, 60, 70),
		}},
		{"unknown hold without an id that took effect", []Op{
			hold(0, "", ResultUnknown, 0, -1),
			hold(1, "h2", ResultRefused, 20, 30),
		}},
		{"timed-out hold applied after the client gave up", []Op{
			hold(0, "h1", ResultUnknown, 0, 10),
			read(1, StatusAvailable, 20, 30),
			read(1, StatusHeld, 40, 50),
		}},
		{"unknown release that took effect late", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			release(0, "h1", ResultUnknown, 20, -1),
			read(1, StatusHeld, 30, 40),
			hold(2, "h2", ResultOK, 50, 60),
		}},
		{"unknown confirm that took effect", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			confirm(0, "h1", "", ResultUnknown, 20, -1),
			read(1, StatusSold, 30, 40),
			release(0, "h1", ResultRefused, 50, 60),
		}},
		{"unknown cancel that did not take effect", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			confirm(0, "h1", "o1", ResultOK, 20, 30),
			cancel(0, "o1", ResultUnknown, 40, 50),
			read(1, StatusSold, 60, 70),
			cancel(0, "o1", ResultOK, 80, 90),
			read(1, StatusAvailable, 100, 110),
		}},
		{"declined confirm then release", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			confirm(0, "h1", "o1", ResultDeclined, 20, 30),
			read(1, StatusHeld, 35, 38),
			release(0, "h1", ResultOK, 40, 50),
			read(1, StatusAvailable, 60, 70),
			confirm(0, "h1", "o1", ResultRefused, 80, 90),
		}},
		{"cancel then re-hold", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			confirm(0, "h1", "o1", ResultOK, 20, 30),
			cancel(0, "o1", ResultOK, 40, 50),
			hold(1, "h2", ResultOK, 60, 70),
			confirm(1, "h2", "o2", ResultOK, 80, 90),
			cancel(0, "o1", ResultRefused, 100, 110),
			read(2, StatusSold, 120, 130),
		}},
		{"reads concurrent with writes", []Op{
			read(1, StatusAvailable, 0, 5),
			hold(0, "h1", ResultOK, 10, 30),
			read(1, StatusAvailable, 12, 28),
			read(2, StatusHeld, 11, 29),
			confirm(0, "h1", "o1", ResultOK, 40, 60),
			read(1, StatusHeld, 41, 59),
			read(2, StatusSold, 42, 61),
			read(3, StatusSold, 70, 80),
		}},
		{"hold expiry as an unknown release", []Op{
			hold(0, "h1", ResultOK, 0, 10),
			release(-1, "h1", ResultUnknown, 100, -1),
			release(0, "h1", ResultRefused, 200, 210),
			hold(1, "h2", ResultOK, 220, 230),
		}},
		{"identical timestamps are concurrent", []Op{
			hold(0, "h1", ResultOK, 5, 5),
			read(1, StatusAvailable, 5, 5),
			read(2, StatusHeld, 5, 5),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := Check(tc.ops, Options{})
			if !rep.OK() {
				t.Fatalf("legal history rejected: %s", rep)
			}
			if rep.Seats != 1 || rep.Ops != len(tc.ops) {
				t.Fatalf("counted %d seats, %d ops", rep.Seats, rep.Ops)
			}
		})
	}
}

func TestCheckReportsEachSeatSeparately(t *testing.T) {
	var ops []Op
	ops = append(ops, onSeat("A-2", hold(0, "h1", ResultOK, 0, 10), hold(1, "h2", ResultOK, 20, 30))...)
	ops = append(ops, onSeat("A-1", hold(0, "h1", ResultOK, 0, 10), read(1, StatusHeld, 20, 30))...)
	ops = append(ops, onSeat("A-3", hold(2, "h3", ResultOK, 0, 10), read(1, StatusAvailable, 20, 30))...)
	other := hold(3, "h9", ResultOK, 0, 10)
	other.Section = "e2/A"
	ops = append(ops, other)

	rep := Check(ops, Options{Workers: 2})
	if rep.Seats != 4 || rep.Ops != 7 {
		t.Fatalf("counted %d seats, %d ops", rep.Seats, rep.Ops)
	}
	if len(rep.Illegal) != 2 || rep.Illegal[0].Seat != "A-2" || rep.Illegal[1].Seat != "A-3" {
		t.Fatalf("illegal seats %+v, want A-2 then A-3", rep.Illegal)
	}
	text := rep.String()
	for _, want := range []string{
		"not linearizable: e1/A/A-2 (2 ops)",
		"fan 1 [+20.000ms, +30.000ms] hold(h2) -> ok",
		"not linearizable: e1/A/A-3 (2 ops)",
		"fan 1 [+20.000ms, +30.000ms] read -> available",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

func TestCheckSetsInvalidOpsAside(t *testing.T) {
	noHold := release(0, "", ResultOK, 0, 10)
	badRead := read(0, "lost", 0, 10)
	declinedHold := hold(0, "h1", ResultDeclined, 0, 10)
	noSeat := hold(0, "h1", ResultOK, 0, 10)
	noSeat.Seat = ""
	noCall := hold(0, "h1", ResultOK, 0, 10)
	noCall.Call = time.Time{}
	badKind := at(0, "extend", ResultOK, 0, 10)
	badResult := hold(0, "h1", "maybe", 0, 10)
	noOrder := cancel(0, "", ResultOK, 0, 10)
	refusedRead := at(0, KindRead, ResultRefused, 0, 10)
	good := hold(0, "h1", ResultOK, 0, 10)

	rep := Check([]Op{noHold, badRead, declinedHold, noSeat, noCall, badKind, badResult, noOrder, refusedRead, good}, Options{})
	if len(rep.Invalid) != 9 || rep.Ops != 1 || rep.OK() || len(rep.Illegal) != 0 {
		t.Fatalf("report %s", rep)
	}
	for _, inv := range rep.Invalid {
		if inv.Reason == "" || !strings.Contains(inv.String(), inv.Reason) {
			t.Errorf("invalid op without a reason: %+v", inv)
		}
	}
}

func TestCheckGivesUpAtTheTimeout(t *testing.T) {
	ops := append(onSeat("A-1", hold(0, "h1", ResultOK, 0, 10)), onSeat("A-2", hold(0, "h2", ResultOK, 0, 10))...)
	rep := Check(ops, Options{Timeout: time.Nanosecond})
	if rep.OK() || len(rep.TimedOut) != 2 || rep.TimedOut[0] != "e1/A/A-1" || rep.TimedOut[1] != "e1/A/A-2" {
		t.Fatalf("report %s", rep)
	}
}

func TestCheckEmpty(t *testing.T) {
	rep := Check(nil, Options{})
	if !rep.OK() || rep.Seats != 0 || rep.Ops != 0 {
		t.Fatalf("report %s", rep)
	}
}

func TestCheckWritesVisualizations(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "viz")
	ops := append(
		onSeat("A-1", hold(0, "h1", ResultOK, 0, 10), hold(1, "h2", ResultOK, 20, 30)),
		onSeat("A-2", hold(0, "h3", ResultOK, 0, 10))...,
	)
	rep := Check(ops, Options{VisualizeDir: dir})
	if len(rep.Illegal) != 1 {
		t.Fatalf("report %s", rep)
	}
	got := rep.Illegal[0]
	if got.VisualizationError != "" || got.Visualization != filepath.Join(dir, "seat-e1_A_A-1.html") {
		t.Fatalf("visualization %q, error %q", got.Visualization, got.VisualizationError)
	}
	page, err := os.ReadFile(got.Visualization)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<html") || !strings.Contains(string(page), "hold(h2)") {
		t.Fatalf("visualization does not show the history: %.200s", page)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("visualization dir holds %v (%v), want one page", entries, err)
	}
}

func TestCheckReportsUnwritableVisualizations(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := Check([]Op{hold(0, "h1", ResultOK, 0, 10), hold(1, "h2", ResultOK, 20, 30)}, Options{VisualizeDir: file})
	if len(rep.Illegal) != 1 || rep.Illegal[0].VisualizationError == "" || rep.Illegal[0].Visualization != "" {
		t.Fatalf("report %+v", rep.Illegal)
	}
}
