package chaos

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"
)

// sigCont resumes a stopped process.
const sigCont = syscall.SIGCONT

// Scenario names one fault injected mid-sale.
type Scenario string

// The scenarios.
const (
	// Kill: kill -9 the node hosting the most sections.
	Kill Scenario = "kill"
	// Stop: SIGSTOP that node past failure detection, let its sections move, SIGCONT.
	// The paused node must write nothing (its batches are fenced) and leave.
	Stop Scenario = "stop"
	// Add: start one more node mid-sale; sections rebalance onto it.
	Add Scenario = "add"
	// Drain: POST /api/v1/cluster/drain to the node hosting the most sections.
	Drain Scenario = "drain"
	// Restart: kill -9 that node and start it again at once on the same addresses.
	Restart Scenario = "restart"
	// None: no fault; the sale's throughput on a cluster of Config.Nodes nodes (one is
	// allowed), for comparing cluster sizes.
	None Scenario = "none"
)

// AllScenarios lists every scenario in the order `make chaos` runs them.
var AllScenarios = []Scenario{Kill, Stop, Add, Drain, Restart}

// ParseScenarios parses a comma-separated list; "all" means AllScenarios.
func ParseScenarios(s string) ([]Scenario, error) {
	if strings.TrimSpace(s) == "all" {
		return append([]Scenario(nil), AllScenarios...), nil
	}
	var out []Scenario
	for _, part := range strings.Split(s, ",") {
		sc := Scenario(strings.TrimSpace(part))
		switch sc {
		case Kill, Stop, Add, Drain, Restart, None:
			out = append(out, sc)
		case "":
		default:
			return nil, fmt.Errorf("unknown scenario %q (want kill, stop, add, drain, restart, none or all)", sc)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no scenario in %q", s)
	}
	return out, nil
}

// Config says how to run the suite.
type Config struct {
	// ServerBin is the ticketblitz binary. It should be built without -race:
	// protoactor's remoting races when several nodes talk.
	ServerBin string
	// PostgresURL names the PostgreSQL server; each scenario gets a fresh database.
	PostgresURL string
	RedisURL    string
	JWTSecret   string
	// WorkDir receives the processes' logs and porcupine's visualizations.
	WorkDir string
	// Nodes is the cluster's size before the fault (default 3).
	Nodes int
	// Fans is the number of concurrent fans (default 60).
	Fans int
	// Sections and SeatsPerSection shape the reserved part of the event (default 10 ×
	// 100); one general-admission section of GACapacity (default 200) is added.
	Sections        int
	SeatsPerSection int
	GACapacity      int
	// Warmup is the sale before the fault (default 4s); After the sale after it
	// (default 10s).
	Warmup, After time.Duration
	// StopFor is how long the Stop scenario keeps the node paused (default 6s).
	StopFor time.Duration
	// AttemptTimeout bounds one HTTP attempt (default 6s); RetryBudget one operation's
	// attempts together (default 30s).
	AttemptTimeout, RetryBudget time.Duration
	// PostgresPool caps each node's database connections (default 8).
	PostgresPool int
	// Seed makes the fans' choices reproducible (default 1).
	Seed uint64
	// HoldTTL is the nodes' hold TTL (default 10m, long enough that no hold of a
	// chaos run expires: every seat's history is then the fans' own operations).
	HoldTTL time.Duration
	// Env is added to every node's environment last (settings such as retention).
	Env []string
	// KeepDatabase keeps each scenario's database after the run.
	KeepDatabase bool
	// Progress receives one line per step (default: discarded).
	Progress io.Writer
}

// withDefaults returns a copy of c with every unset field filled in.
func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Nodes, 3)
	def(&c.Fans, 60)
	def(&c.Sections, 10)
	def(&c.SeatsPerSection, 100)
	def(&c.GACapacity, 200)
	def(&c.PostgresPool, 8)
	defD(&c.Warmup, 4*time.Second)
	defD(&c.After, 10*time.Second)
	defD(&c.StopFor, 6*time.Second)
	defD(&c.AttemptTimeout, 6*time.Second)
	defD(&c.RetryBudget, 30*time.Second)
	defD(&c.HoldTTL, holdTTL)
	if c.Seed == 0 {
		c.Seed = 1
	}
	return c
}

func (c Config) validate(sc Scenario) error {
	switch {
	case c.ServerBin == "":
		return fmt.Errorf("chaos: no server binary")
	case c.PostgresURL == "" || c.RedisURL == "" || c.JWTSecret == "":
		return fmt.Errorf("chaos: postgres url, redis url and jwt secret are required")
	case c.WorkDir == "":
		return fmt.Errorf("chaos: no work directory")
	case c.Nodes < 2 && sc != None:
		return fmt.Errorf("chaos: %d nodes: a fault needs at least 2", c.Nodes)
	case c.Nodes < 1:
		return fmt.Errorf("chaos: %d nodes", c.Nodes)
	}
	return nil
}

func (c Config) progress() io.Writer {
	if c.Progress == nil {
		return io.Discard
	}
	return c.Progress
}
