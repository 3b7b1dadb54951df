package scenario

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// rowLabel returns the i-th row label: A..Z, then AA, AB, … (at most three letters).
func rowLabel(i int) string {
	label := ""
	for n := i; ; n = n/26 - 1 {
		label = string(rune('A'+n%26)) + label
		if n < 26 {
			return label
		}
	}
}

// ReservedSection describes a reserved section of seats seats in rows of rowSize.
func ReservedSection(id string, seats, rowSize int) api.SectionSpec {
	s := api.SectionSpec{ID: id, Name: "Section " + id, Kind: audit.KindReserved, PriceCents: 5000}
	for row := 0; seats > 0; row++ {
		n := min(rowSize, seats)
		s.Rows = append(s.Rows, api.RowSpec{Label: rowLabel(row), Seats: n})
		seats -= n
	}
	return s
}

// seatIDs lists a reserved section's seat ids in row order.
func seatIDs(s api.SectionSpec) []string {
	var out []string
	for _, r := range s.Rows {
		for n := 1; n <= r.Seats; n++ {
			out = append(out, fmt.Sprintf("%s-%d", r.Label, n))
		}
	}
	return out
}

// createEvent creates an event of the given sections as an admin.
func createEvent(ctx context.Context, env *Env, cfg Config, name string, sections []api.SectionSpec) (api.Event, error) {
	tok, err := env.Admin("blitzload-admin")
	if err != nil {
		return api.Event{}, fmt.Errorf("admin token: %w", err)
	}
	c := api.New(api.Config{Base: cfg.Target, HTTP: api.NewHTTPClient(1, 60*time.Second), User: "blitzload-admin", Token: tok})
	defer c.Close()
	spec := api.EventSpec{
		Name: fmt.Sprintf("blitzload %s %s", name, env.RunID), Venue: "Load Test Arena",
		StartsAt: time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second),
		Currency: "USD", MaxTicketsPerUser: 100, Sections: sections,
	}
	ev, r := c.CreateEvent(ctx, spec)
	if err := r.Error(); err != nil {
		return api.Event{}, fmt.Errorf("create event: %w", err)
	}
	return ev, nil
}

// readMap reads one section's map.
func readMap(ctx context.Context, cfg Config, ref audit.SectionRef) (api.SeatMap, audit.SeatMap, error) {
	c := api.New(api.Config{Base: cfg.Target, HTTP: api.NewHTTPClient(1, 60*time.Second)})
	defer c.Close()
	m, r := c.SeatMap(ctx, ref.EventID, ref.SectionID)
	if err := r.Error(); err != nil {
		return api.SeatMap{}, audit.SeatMap{}, fmt.Errorf("read seat map %s: %w", ref, err)
	}
	return m, api.ToAuditMap(m, r.Start, r.End), nil
}

// targetSection creates a fresh event with one reserved section (or takes the
// configured one) and reads its map.
func targetSection(ctx context.Context, env *Env, cfg Config, res *Result) (audit.SectionRef, api.SeatMap, error) {
	ref := audit.SectionRef{EventID: cfg.EventID, SectionID: cfg.SectionID}
	if ref.EventID == "" {
		sec := ReservedSection("hot", cfg.Seats, cfg.RowSize)
		ev, err := createEvent(ctx, env, cfg, res.Scenario, []api.SectionSpec{sec})
		if err != nil {
			return ref, api.SeatMap{}, err
		}
		ref = audit.SectionRef{EventID: ev.ID, SectionID: sec.ID}
		res.note("created event %s with section %s of %d seats (%d rows of up to %d)", ev.ID, sec.ID, cfg.Seats, len(sec.Rows), cfg.RowSize)
	}
	m, am, err := readMap(ctx, cfg, ref)
	if err != nil {
		return ref, m, err
	}
	res.EventID = ref.EventID
	res.Sections = append(res.Sections, ref)
	res.Initial = map[audit.SectionRef]audit.SeatMap{ref: am}
	return ref, m, nil
}

// availableRows groups a map's available seats by row, each row in seat order.
func availableRows(m api.SeatMap) [][]api.Seat {
	byRow := map[string][]api.Seat{}
	var rows []string
	for _, s := range m.Seats {
		if s.Status != audit.SeatAvailable {
			continue
		}
		if _, ok := byRow[s.Row]; !ok {
			rows = append(rows, s.Row)
		}
		byRow[s.Row] = append(byRow[s.Row], s)
	}
	sort.Strings(rows)
	out := make([][]api.Seat, 0, len(rows))
	for _, r := range rows {
		seats := byRow[r]
		sort.Slice(seats, func(i, j int) bool { return seats[i].Number < seats[j].Number })
		out = append(out, seats)
	}
	return out
}
