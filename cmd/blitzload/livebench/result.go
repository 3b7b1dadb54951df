package livebench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/bench"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// Result is a whole blitzload live run.
type Result struct {
	Started time.Time     `json:"started"`
	Ended   time.Time     `json:"ended"`
	Machine bench.Machine `json:"machine"`
	Command string        `json:"command"`
	Config  Config        `json:"-"`
	Runs    []RunResult   `json:"runs"`
}

// LoadFigures is one paced hold/release load and the server CPU it took.
type LoadFigures struct {
	Holds, Releases, Errors int64
	LastError               string  `json:",omitempty"`
	Seconds                 float64 `json:"seconds"`
	DecisionsPerSec         float64 `json:"decisions_per_sec"`
	// CPUPerSec is the server's user+system CPU seconds per wall second (-1: unknown).
	CPUPerSec float64 `json:"cpu_per_sec"`
}

// RunResult is one subscriber count on its own server.
type RunResult struct {
	Subscribers int           `json:"subscribers"`
	Rate        float64       `json:"rate"`
	Duration    time.Duration `json:"duration"`
	Fans        int           `json:"fans"`
	Error       string        `json:"error,omitempty"`

	Connected, Failed, Lost int
	// Behind counts subscribers that had not seen the final version 30 s after the load.
	Behind         int
	ConnectSeconds float64 `json:"connect_seconds"`
	// Server memory in KiB and Go heap in bytes (-1: unknown) before the subscribers
	// and after they sat idle.
	RSSBefore, RSSAfter   int64
	HeapBefore, HeapAfter int64

	Baseline, Load             LoadFigures
	StartVersion, FinalVersion int64
	// Messages is deltas received over all subscribers during the load.
	Messages, Gaps, Duplicates, Unmatched int64
	Delivery                              Summary
	// Spread is, per version, the first subscriber's arrival to the last one's.
	Spread Summary `json:"spread"`
}

// RSSPerConn is the RSS growth per connected idle subscriber in KiB (-1: unknown).
func (r RunResult) RSSPerConn() float64 {
	if r.RSSBefore < 0 || r.RSSAfter < 0 || r.Connected == 0 {
		return -1
	}
	return float64(r.RSSAfter-r.RSSBefore) / float64(r.Connected)
}

// HeapPerConn is the Go heap growth per idle subscriber in KiB (-1: unknown).
func (r RunResult) HeapPerConn() float64 {
	if r.HeapBefore < 0 || r.HeapAfter < 0 || r.Connected == 0 {
		return -1
	}
	return float64(r.HeapAfter-r.HeapBefore) / 1024 / float64(r.Connected)
}

// DeltasPerSec is the section versions committed per second during the load.
func (r RunResult) DeltasPerSec() float64 {
	if r.Load.Seconds <= 0 {
		return 0
	}
	return float64(r.FinalVersion-r.StartVersion) / r.Load.Seconds
}

// DeliveredPerSec is the messages delivered per second over every subscriber.
func (r RunResult) DeliveredPerSec() float64 {
	if r.Load.Seconds <= 0 {
		return 0
	}
	return float64(r.Messages) / r.Load.Seconds
}

// DuePerSec is the fan-out the load asked for: every version during the load to every
// connected subscriber, per second of load.
func (r RunResult) DuePerSec() float64 {
	if r.Load.Seconds <= 0 {
		return 0
	}
	return float64(r.FinalVersion-r.StartVersion) * float64(r.Connected) / r.Load.Seconds
}

// DeliveredShare is the messages the subscribers received over the ones due (-1:
// nothing was due).
func (r RunResult) DeliveredShare() float64 {
	due := float64(r.FinalVersion-r.StartVersion) * float64(r.Connected)
	if due <= 0 {
		return -1
	}
	return float64(r.Messages) / due
}

// Saturation says why the run did not keep up, or "" when it did: subscribers still
// behind 30 s after the load, deliveries missing, or a decision rate well below the one
// asked for.
func (r RunResult) Saturation() string {
	var why []string
	if r.Behind > 0 {
		why = append(why, fmt.Sprintf("%d subscribers behind", r.Behind))
	}
	if sh := r.DeliveredShare(); sh >= 0 && sh < 0.99 {
		why = append(why, fmt.Sprintf("%.0f%% of the fan-out delivered", 100*sh))
	}
	if r.Rate > 0 && r.Load.DecisionsPerSec < 0.9*r.Rate {
		why = append(why, fmt.Sprintf("%.0f of %.0f decisions/s", r.Load.DecisionsPerSec, r.Rate))
	}
	return strings.Join(why, "; ")
}

// FanoutCPUPerSec is the server CPU the subscribers added to the same load (-1: unknown).
func (r RunResult) FanoutCPUPerSec() float64 {
	if r.Load.CPUPerSec < 0 || r.Baseline.CPUPerSec < 0 {
		return -1
	}
	return r.Load.CPUPerSec - r.Baseline.CPUPerSec
}

// perThousand divides CPU seconds per second by thousands of delivered messages per second.
func (r RunResult) perThousand(cpu float64) float64 {
	d := r.DeliveredPerSec()
	if cpu < 0 || d <= 0 {
		return -1
	}
	return cpu / (d / 1000)
}

// CPUPerKMsg is the server's whole CPU per 1,000 delivered messages/s.
func (r RunResult) CPUPerKMsg() float64 { return r.perThousand(r.Load.CPUPerSec) }

// FanoutCPUPerKMsg is the fan-out's CPU (run minus baseline) per 1,000 delivered messages/s.
func (r RunResult) FanoutCPUPerKMsg() float64 { return r.perThousand(r.FanoutCPUPerSec()) }

// machine describes the machine, with PostgreSQL's version when it answers.
func machine(ctx context.Context, c Config) bench.Machine {
	m := bench.ReadMachine()
	if c.PostgresURL != "" {
		if v, err := serverproc.ServerVersion(ctx, c.PostgresURL); err == nil {
			m.Postgres = v
		}
	}
	return m
}

// ReadMachineLine describes the machine on one line.
func ReadMachineLine() string { return bench.ReadMachine().String() }
