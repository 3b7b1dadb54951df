package scenario

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The scenarios.
const (
	Flash  = "flash"
	Steady = "steady"
	Mixed  = "mixed"
	Hot    = "hot"
)

// Config is every setting of every scenario; each scenario reads its own. Field tags
// name the flags and the keys of a scenario file.
type Config struct {
	Scenario string `yaml:"scenario" json:"scenario"`
	// Target is the server's base URL.
	Target string `yaml:"target" json:"target"`
	// WSTarget is where flash subscriptions go (default Target): another node of the
	// cluster, when one process cannot hold every fan's connection and subscription.
	WSTarget string `yaml:"ws-target" json:"ws-target"`
	// Seed makes every random choice reproducible.
	Seed      uint64        `yaml:"seed" json:"seed"`
	Duration  time.Duration `yaml:"duration" json:"duration"`
	Requests  int64         `yaml:"requests" json:"requests"`
	RampUp    time.Duration `yaml:"ramp-up" json:"ramp-up"`
	ThinkTime time.Duration `yaml:"think-time" json:"think-time"`
	Timeout   time.Duration `yaml:"timeout" json:"timeout"`
	Retries   int           `yaml:"retries" json:"retries"`

	// EventID and SectionID target an existing section instead of a fresh one.
	EventID   string `yaml:"event" json:"event"`
	SectionID string `yaml:"section" json:"section"`
	// Seats is the size of each reserved section a scenario creates, in rows of RowSize.
	Seats   int `yaml:"seats" json:"seats"`
	RowSize int `yaml:"row-size" json:"row-size"`

	// flash
	Fans              int     `yaml:"fans" json:"fans"`
	MinSeats          int     `yaml:"min-seats" json:"min-seats"`
	MaxSeats          int     `yaml:"max-seats" json:"max-seats"`
	ConfirmShare      float64 `yaml:"confirm-share" json:"confirm-share"`
	DeclineShare      float64 `yaml:"decline-share" json:"decline-share"`
	ReleaseShare      float64 `yaml:"release-share" json:"release-share"`
	AbandonShare      float64 `yaml:"abandon-share" json:"abandon-share"`
	DeclineRetryShare float64 `yaml:"decline-retry-share" json:"decline-retry-share"`
	// CancelShare is the share of paying fans who then cancel their order.
	CancelShare float64 `yaml:"cancel-share" json:"cancel-share"`
	WebSockets  bool    `yaml:"ws" json:"ws"`
	// Queue, when set (fifo or random), runs the flash sale through the event's waiting
	// room, beside the same rush without it and a bare reference server.
	Queue string `yaml:"queue" json:"queue"`
	// QueueWS caps the fans that follow their ticket over the websocket; the rest poll.
	// Negative: as many as the open-file limit allows beside the fans' connections.
	QueueWS int `yaml:"queue-ws" json:"queue-ws"`
	// QueuePoll is how often a polling fan reads its ticket.
	QueuePoll time.Duration `yaml:"queue-poll" json:"queue-poll"`
	// QueueWait, when set, has every polling fan read its ticket with ?wait_ms= (this,
	// at most half of Timeout and 30 s): the read waits for the ticket's change, and
	// after one that waited the fan reads again at once, instead of every QueuePoll.
	QueueWait time.Duration `yaml:"queue-wait" json:"queue-wait"`
	// QueueOpensIn is how long after the room is set a random room opens (and shuffles
	// everyone who joined before).
	QueueOpensIn time.Duration `yaml:"queue-opens-in" json:"queue-opens-in"`
	// QueueRecords, when set, names a file that receives every fan's record of both
	// rushes (QueueFanRecord, one JSON object a line, with its rush): the timeline of
	// a run, from the joins answered to the last fan done.
	QueueRecords string `yaml:"queue-records" json:"queue-records,omitempty"`
	// QueueFollowLate, a diagnosis, makes every fan of the rush through the room wait
	// until every join is answered before it follows its ticket: the joins are then
	// answered without the followers' websockets opening beside them, which tells the
	// join's own cost from theirs. A page follows when its ticket says (follow_after_ms);
	// so do the fans without it.
	QueueFollowLate bool `yaml:"queue-follow-late" json:"queue-follow-late,omitempty"`
	// QueueFollowNow makes every fan follow its ticket as soon as its join is answered,
	// and poll at its own pace, whatever the ticket's follow_after_ms says: against
	// one server, the difference the hint makes.
	QueueFollowNow bool `yaml:"queue-follow-now" json:"queue-follow-now,omitempty"`
	// QueueWalkAway is the share of the fans admitted who walk away with their pass
	// unused (a tab closed, a fan called away): they never hold.
	QueueWalkAway float64 `yaml:"queue-walk-away" json:"queue-walk-away,omitempty"`
	// QueueThink, when set, has each fan admitted take a time drawn evenly from zero
	// to this before it holds, as a fan choosing seats on the page does.
	QueueThink time.Duration `yaml:"queue-think" json:"queue-think,omitempty"`
	WSSample   int           `yaml:"ws-sample" json:"ws-sample"`

	// hot
	Callers int    `yaml:"callers" json:"callers"`
	HotMode string `yaml:"hot-mode" json:"hot-mode"`

	// steady and mixed
	Sections int     `yaml:"sections" json:"sections"`
	Rate     float64 `yaml:"rate" json:"rate"`
	Workers  int     `yaml:"workers" json:"workers"`
	Users    int     `yaml:"users" json:"users"`
	// MaxLate, when positive, drops an arrival that cannot start within MaxLate of its
	// scheduled time because every worker is busy: it is counted as dropped, not sent.
	// The offered load stays the schedule's, and a run against a saturated server
	// ends with the schedule instead of working off an ever-growing backlog.
	MaxLate time.Duration `yaml:"max-late" json:"max-late"`
	// Mix weighs mixed's operations: "list=30,event=15,seatmap=35,hold_confirm=8,hold_release=8,hold_abandon=4".
	Mix string `yaml:"mix" json:"mix"`
}

// DefaultConfig returns the defaults of every setting.
func DefaultConfig() Config {
	return Config{
		Scenario: Flash, Target: "http://127.0.0.1:8080", Seed: 1,
		Duration: 15 * time.Second, Timeout: 10 * time.Second, Retries: 3,
		Seats: 2000, RowSize: 50,
		Fans: 1000, MinSeats: 1, MaxSeats: 4,
		ConfirmShare: 0.6, DeclineShare: 0.1, ReleaseShare: 0.15, AbandonShare: 0.15, DeclineRetryShare: 0.5,
		CancelShare: 0.05,
		WSSample:    20,
		QueueWS:     -1, QueuePoll: 250 * time.Millisecond, QueueOpensIn: 2 * time.Second,
		Callers: 1000, HotMode: "best",
		Sections: 10, Rate: 200, Workers: 256, Users: 500,
		Mix: "list=30,event=15,seatmap=35,hold_confirm=8,hold_release=8,hold_abandon=4",
	}
}

// Validate reports settings the chosen scenario cannot run with.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch c.Scenario {
	case Flash, Steady, Mixed, Hot:
	default:
		bad("scenario %q: want flash, steady, mixed or hot", c.Scenario)
	}
	if !strings.HasPrefix(c.Target, "http://") && !strings.HasPrefix(c.Target, "https://") {
		bad("target %q: want an http:// or https:// URL", c.Target)
	}
	if c.Timeout <= 0 {
		bad("timeout must be positive")
	}
	if (c.EventID == "") != (c.SectionID == "") && c.Scenario != Steady && c.Scenario != Mixed {
		bad("give both event and section, or neither")
	}
	if c.Seats < 1 || c.RowSize < 1 || c.RowSize > 500 || c.Seats > c.RowSize*200 {
		bad("seats %d in rows of %d: want 1..%d seats, rows of 1..500", c.Seats, c.RowSize, c.RowSize*200)
	}
	switch c.Scenario {
	case Flash:
		if c.Fans < 1 {
			bad("fans must be at least 1")
		}
		if c.MinSeats < 1 || c.MaxSeats < c.MinSeats || c.MaxSeats > 20 {
			bad("seats per fan %d..%d: want 1 <= min <= max <= 20", c.MinSeats, c.MaxSeats)
		}
		shares := []float64{c.ConfirmShare, c.DeclineShare, c.ReleaseShare, c.AbandonShare, c.DeclineRetryShare, c.CancelShare}
		for _, s := range shares {
			if s < 0 || s > 1 {
				bad("shares must be between 0 and 1")
				break
			}
		}
		switch c.Queue {
		case "", "fifo", "random":
		default:
			bad("queue %q: want fifo or random", c.Queue)
		}
		if c.Queue != "" && (c.QueuePoll <= 0 || c.QueueOpensIn <= 0) {
			bad("queue-poll and queue-opens-in must be positive")
		}
		if c.QueueWalkAway < 0 || c.QueueWalkAway >= 1 {
			bad("queue-walk-away %v: want a share from 0 up to, not including, 1", c.QueueWalkAway)
		}
		if c.QueueThink < 0 {
			bad("queue-think must not be negative")
		}
		if c.Queue != "" && (c.EventID != "" || c.WebSockets) {
			bad("queue makes its own events and does not combine with ws")
		}
		if sum := c.ConfirmShare + c.DeclineShare + c.ReleaseShare + c.AbandonShare; sum <= 0 {
			bad("the winners' shares add up to %v; at least one must be positive", sum)
		}
	case Hot:
		if c.Callers < 1 {
			bad("callers must be at least 1")
		}
		if c.HotMode != "best" && c.HotMode != "random" {
			bad("hot-mode %q: want best or random", c.HotMode)
		}
		if c.Duration <= 0 && c.Requests <= 0 {
			bad("give a duration or a request count")
		}
	case Steady, Mixed:
		if c.Rate <= 0 || c.Workers < 1 || c.Users < 1 || c.Sections < 1 || c.Sections > 50 {
			bad("rate, workers, users must be positive and sections 1..50")
		}
		if c.MaxLate < 0 {
			bad("max-late must not be negative")
		}
		if c.Duration <= 0 && c.Requests <= 0 {
			bad("give a duration or a request count")
		}
		if c.Scenario == Mixed {
			if _, err := ParseMix(c.Mix); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// The operations of the mixed scenario.
var mixOps = []string{"list", "event", "seatmap", "hold_confirm", "hold_release", "hold_abandon"}

// ParseMix reads "op=weight,…" into weights by operation.
func ParseMix(s string) (map[string]float64, error) {
	out := map[string]float64{}
	total := 0.0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		w, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if !ok || err != nil || w < 0 {
			return nil, fmt.Errorf("mix %q: want op=weight, weights not negative", part)
		}
		name = strings.TrimSpace(name)
		known := false
		for _, op := range mixOps {
			known = known || op == name
		}
		if !known {
			return nil, fmt.Errorf("mix: unknown operation %q (want %s)", name, strings.Join(mixOps, ", "))
		}
		out[name] = w
		total += w
	}
	if total <= 0 {
		return nil, errors.New("mix: weights add up to nothing")
	}
	return out, nil
}

// wsTarget is where the websocket subscriptions go.
func (c Config) wsTarget() string {
	if c.WSTarget != "" {
		return c.WSTarget
	}
	return c.Target
}
