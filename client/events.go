package client

import (
	"context"
	"net/http"
)

// ListEvents calls GET /api/v1/events.
func (c *Client) ListEvents(ctx context.Context, opts ...CallOption) ([]Event, error) {
	var out struct {
		Events []Event `json:"events"`
	}
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/events"), &out, opts)
	return out.Events, err
}

// CreateEvent calls POST /api/v1/events (admin): the event as created, with the id
// the server gave it.
func (c *Client) CreateEvent(ctx context.Context, spec EventSpec, opts ...CallOption) (Event, error) {
	var ev Event
	r := newRoute(http.MethodPost, "/api/v1/events")
	r.body = spec
	err := c.do(ctx, r, &ev, opts)
	return ev, err
}

// GetEvent calls GET /api/v1/events/{event_id}.
func (c *Client) GetEvent(ctx context.Context, eventID string, opts ...CallOption) (Event, error) {
	var ev Event
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/events/{event_id}", eventID), &ev, opts)
	return ev, err
}

// SeatMap calls GET /api/v1/events/{event_id}/sections/{section_id}/seats.
func (c *Client) SeatMap(ctx context.Context, eventID, sectionID string, opts ...CallOption) (SeatMap, error) {
	var m SeatMap
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/events/{event_id}/sections/{section_id}/seats", eventID, sectionID), &m, opts)
	return m, err
}

// SeatHistory calls GET /api/v1/events/{event_id}/sections/{section_id}/seats/{seat_id}/history:
// every attempt on the seat, in the order the section decided them ("Why not this seat?").
// A server that keeps no attempt log answers CodeNotRecorded.
func (c *Client) SeatHistory(ctx context.Context, eventID, sectionID, seatID string, opts ...CallOption) (SeatHistory, error) {
	var h SeatHistory
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/events/{event_id}/sections/{section_id}/seats/{seat_id}/history",
		eventID, sectionID, seatID), &h, opts)
	return h, err
}
