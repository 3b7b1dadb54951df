package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

func TestRowLabels(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 39: "AN", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		if got := rowLabel(i); got != want {
			t.Errorf("rowLabel(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestReservedSection(t *testing.T) {
	s := ReservedSection("hot", 2000, 50)
	if len(s.Rows) != 40 || s.Rows[39].Label != "AN" || s.Rows[39].Seats != 50 || s.Kind != "reserved" {
		t.Errorf("2000 seats in rows of 50: %d rows, last %+v", len(s.Rows), s.Rows[len(s.Rows)-1])
	}
	odd := ReservedSection("x", 120, 50)
	if len(odd.Rows) != 3 || odd.Rows[2].Seats != 20 {
		t.Errorf("120 seats: %+v", odd.Rows)
	}
	ids := seatIDs(odd)
	if len(ids) != 120 || ids[0] != "A-1" || ids[119] != "C-20" {
		t.Errorf("seat ids %v…", ids[:3])
	}
}

func TestSeatPickerPicksAdjacentAvailableSeats(t *testing.T) {
	m := api.SeatMap{Seats: []api.Seat{
		{ID: "A-1", Row: "A", Number: 1, Status: "available"},
		{ID: "A-2", Row: "A", Number: 2, Status: "sold"},
		{ID: "A-3", Row: "A", Number: 3, Status: "available"},
		{ID: "B-1", Row: "B", Number: 1, Status: "available"},
		{ID: "B-2", Row: "B", Number: 2, Status: "available"},
		{ID: "B-3", Row: "B", Number: 3, Status: "available"},
	}}
	p := seatPicker{rows: availableRows(m)}
	r := rng(1, 1)
	for i := 0; i < 50; i++ {
		got := p.pick(r, 3)
		if strings.Join(got, ",") != "B-1,B-2,B-3" {
			t.Fatalf("only row B has 3 available seats; picked %v", got)
		}
		for _, s := range p.pick(r, 1) {
			if s == "A-2" {
				t.Fatal("picked a sold seat")
			}
		}
	}
	if got := p.pick(r, 4); got != nil {
		t.Errorf("no row has 4 seats, picked %v", got)
	}
}

func TestSameSeedSameChoices(t *testing.T) {
	a, b := rng(42, 7), rng(42, 7)
	for i := 0; i < 10; i++ {
		if a.IntN(1000) != b.IntN(1000) {
			t.Fatal("one seed and stream gave two sequences")
		}
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("list=30, seatmap=70")
	if err != nil || m["list"] != 30 || m["seatmap"] != 70 {
		t.Errorf("mix %v, %v", m, err)
	}
	for _, bad := range []string{"", "list=0", "list", "dance=3", "list=-1"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("mix %q accepted", bad)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"scenario":     func(c *Config) { c.Scenario = "storm" },
		"event only":   func(c *Config) { c.EventID = "ev1" },
		"no winners":   func(c *Config) { c.ConfirmShare, c.DeclineShare, c.ReleaseShare, c.AbandonShare = 0, 0, 0, 0 },
		"seats":        func(c *Config) { c.Seats = 0 },
		"hot mode":     func(c *Config) { c.Scenario, c.HotMode = Hot, "worst" },
		"steady rate":  func(c *Config) { c.Scenario, c.Rate = Steady, 0 },
		"steady stops": func(c *Config) { c.Scenario, c.Duration, c.Requests = Steady, 0, 0 },
		"max late":     func(c *Config) { c.Scenario, c.MaxLate = Steady, -time.Second },
		"mixed mix":    func(c *Config) { c.Scenario, c.Mix = Mixed, "nap=1" },
		"walk away":    func(c *Config) { c.Queue, c.QueueWalkAway = "fifo", 1 },
		"think":        func(c *Config) { c.Queue, c.QueueThink = "fifo", -time.Second },
	} {
		c := DefaultConfig()
		mutate(&c)
		if c.Validate() == nil {
			t.Errorf("%s: invalid config accepted", name)
		}
	}
}
