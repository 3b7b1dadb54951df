package scenario

import (
	"context"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// RoomSample is the room as a read of GET …/waiting-room found it during the rush.
type RoomSample struct {
	// AtMS is the time since the rush began.
	AtMS          float64 `json:"at_ms"`
	AdmittingPerS float64 `json:"admitting_per_s"`
	Waiting       int64   `json:"waiting"`
	Admitted      int64   `json:"admitted"`
}

// watchRoom reads the room every interval from start until ctx ends, on a connection of
// its own, and returns what it read: the admission rate the server's controller
// followed, beside what the fans saw.
func watchRoom(ctx context.Context, cfg Config, eventID string, start time.Time, interval time.Duration) func() []RoomSample {
	c := api.New(api.Config{Base: cfg.Target, HTTP: api.NewHTTPClient(1, interval)})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan []RoomSample, 1)
	go func() {
		defer c.Close()
		var out []RoomSample
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				done <- out
				return
			case <-t.C:
			}
			room, err := c.API().WaitingRoom(ctx, eventID)
			if err != nil {
				continue
			}
			out = append(out, RoomSample{AtMS: msOf(time.Since(start)), AdmittingPerS: room.AdmittingPerS,
				Waiting: room.Waiting, Admitted: room.Admitted})
		}
	}()
	return func() []RoomSample {
		cancel()
		return <-done
	}
}
