package stats

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// WebSocketInfo reports the websocket side of a run.
type WebSocketInfo struct {
	// Enabled: the run subscribed fans to /ws/events/{event_id}.
	Enabled bool `json:"enabled"`
	// Available: the server accepted the upgrade.
	Available bool   `json:"available"`
	Note      string `json:"note,omitempty"`
	Connected int64  `json:"connected"`
	Messages  int64  `json:"messages"`
	// Gaps counts version gaps seen by subscribers (each makes a client re-fetch).
	Gaps int64 `json:"gaps"`
	// Early counts deltas that arrived before the measuring fan saw the hold's answer.
	Early int64 `json:"early"`
	// Delivery is the time from a hold's 201 to the delta announcing its seats, as the
	// sampled subscribers saw it.
	Delivery *Latency `json:"delivery,omitempty"`
}

type wsStats struct {
	state    WebSocketInfo
	delivery *hdrhistogram.Histogram
}

func (w *wsStats) info() WebSocketInfo {
	out := w.state
	if w.delivery != nil && w.delivery.TotalCount() > 0 {
		l := summarize(w.delivery)
		out.Delivery = &l
	}
	return out
}

// SetWebSocket says whether websockets were asked for, whether the server has them,
// and why not.
func (c *Collector) SetWebSocket(enabled, available bool, note string) {
	c.mu.Lock()
	c.ws.state.Enabled, c.ws.state.Available, c.ws.state.Note = enabled, available, note
	c.mu.Unlock()
}

// WSConnected counts one subscriber connected.
func (c *Collector) WSConnected() {
	c.mu.Lock()
	c.ws.state.Connected++
	c.mu.Unlock()
}

// WSMessage counts one message received; gap marks a version gap.
func (c *Collector) WSMessage(gap bool) {
	c.mu.Lock()
	c.ws.state.Messages++
	if gap {
		c.ws.state.Gaps++
	}
	c.mu.Unlock()
}

// WSDelivery records one delivery latency; a negative one counts as early.
func (c *Collector) WSDelivery(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d < 0 {
		c.ws.state.Early++
		return
	}
	if c.ws.delivery == nil {
		c.ws.delivery = newHistogram(3)
	}
	record(c.ws.delivery, d)
}
