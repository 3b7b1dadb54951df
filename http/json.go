package http

import (
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The response bodies of docs/api.md. Field names are the contract; times are UTC; lists
// are never null.

type eventJSON struct {
	ID                string        `json:"id"`
	Name              string        `json:"name"`
	Venue             string        `json:"venue"`
	StartsAt          time.Time     `json:"starts_at"`
	Currency          string        `json:"currency"`
	Status            string        `json:"status"`
	MaxTicketsPerUser int           `json:"max_tickets_per_user"`
	Sections          []sectionJSON `json:"sections"`
}

type sectionJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	PriceCents int64  `json:"price_cents"`
	Capacity   int    `json:"capacity"`
	Available  int    `json:"available"`
	Held       int    `json:"held"`
	Sold       int    `json:"sold"`
}

type eventsJSON struct {
	Events []eventJSON `json:"events"`
}

type reservedSeatMapJSON struct {
	SectionID string     `json:"section_id"`
	Version   int64      `json:"version"`
	Seats     []seatJSON `json:"seats"`
}

type seatJSON struct {
	ID         string `json:"id"`
	Row        string `json:"row"`
	Number     int    `json:"number"`
	Status     string `json:"status"`
	Accessible bool   `json:"accessible"`
}

type capacitySeatMapJSON struct {
	SectionID string `json:"section_id"`
	Version   int64  `json:"version"`
	Capacity  int    `json:"capacity"`
	Available int    `json:"available"`
	Held      int    `json:"held"`
	Sold      int    `json:"sold"`
}

type holdJSON struct {
	ID        string    `json:"id"`
	EventID   string    `json:"event_id"`
	SectionID string    `json:"section_id"`
	Seats     []string  `json:"seats"`
	Quantity  int       `json:"quantity"`
	Status    string    `json:"status"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
	UserID    string    `json:"user_id"`
}

type releasedJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

type orderJSON struct {
	ID         string    `json:"id"`
	HoldID     string    `json:"hold_id"`
	EventID    string    `json:"event_id"`
	SectionID  string    `json:"section_id"`
	Seats      []string  `json:"seats"`
	Quantity   int       `json:"quantity"`
	Status     string    `json:"status"`
	TotalCents int64     `json:"total_cents"`
	Currency   string    `json:"currency"`
	CreatedAt  time.Time `json:"created_at"`
	UserID     string    `json:"user_id"`
}

type holdsJSON struct {
	Holds []holdJSON `json:"holds"`
}

type ordersJSON struct {
	Orders []orderJSON `json:"orders"`
}

type tokenJSON struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

type clusterJSON struct {
	Node    string       `json:"node"`
	Members []memberJSON `json:"members"`
}

type memberJSON struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	Status   string `json:"status"`
	Sections int    `json:"sections"`
}

type statusJSON struct {
	Status string `json:"status"`
}

type readyJSON struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func toEventJSON(ev actors.Event) eventJSON {
	status := ev.Status
	if status == "" {
		status = actors.EventOnSale
	}
	out := eventJSON{
		ID:                ev.ID,
		Name:              ev.Name,
		Venue:             ev.Venue,
		StartsAt:          ev.StartsAt.UTC(),
		Currency:          ev.Currency,
		Status:            status,
		MaxTicketsPerUser: ev.MaxTicketsPerUser,
		Sections:          make([]sectionJSON, 0, len(ev.Sections)),
	}
	for _, s := range ev.Sections {
		out.Sections = append(out.Sections, sectionJSON{
			ID:         s.ID,
			Name:       s.Name,
			Kind:       string(s.Kind),
			PriceCents: s.PriceCents,
			Capacity:   s.Capacity,
			Available:  s.Available,
			Held:       s.Held,
			Sold:       s.Sold,
		})
	}
	return out
}

// toSeatMapJSON picks the reserved or the general-admission shape.
func toSeatMapJSON(m actors.SeatMap) any {
	if m.Kind == actors.KindGeneralAdmission {
		return capacitySeatMapJSON{
			SectionID: m.SectionID,
			Version:   m.Version,
			Capacity:  m.Capacity,
			Available: m.Available,
			Held:      m.Held,
			Sold:      m.Sold,
		}
	}
	out := reservedSeatMapJSON{SectionID: m.SectionID, Version: m.Version, Seats: make([]seatJSON, 0, len(m.Seats))}
	for _, s := range m.Seats {
		out.Seats = append(out.Seats, seatJSON{
			ID:         s.ID,
			Row:        s.Row,
			Number:     s.Number,
			Status:     string(s.Status),
			Accessible: s.Accessible,
		})
	}
	return out
}

func toHoldJSON(h actors.Hold) holdJSON {
	return holdJSON{
		ID:        h.ID,
		EventID:   h.EventID,
		SectionID: h.SectionID,
		Seats:     nonNilStrings(h.Seats),
		Quantity:  h.Quantity,
		Status:    string(h.Status),
		ExpiresAt: h.ExpiresAt.UTC(),
		CreatedAt: h.CreatedAt.UTC(),
		UserID:    h.UserID,
	}
}

func toOrderJSON(o actors.Order) orderJSON {
	return orderJSON{
		ID:         o.ID,
		HoldID:     o.HoldID,
		EventID:    o.EventID,
		SectionID:  o.SectionID,
		Seats:      nonNilStrings(o.Seats),
		Quantity:   o.Quantity,
		Status:     string(o.Status),
		TotalCents: o.TotalCents,
		Currency:   o.Currency,
		CreatedAt:  o.CreatedAt.UTC(),
		UserID:     o.UserID,
	}
}

func toClusterJSON(st ClusterStatus) clusterJSON {
	out := clusterJSON{Node: st.Node, Members: make([]memberJSON, 0, len(st.Members))}
	for _, m := range st.Members {
		out.Members = append(out.Members, memberJSON(m))
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
