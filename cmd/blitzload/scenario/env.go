package scenario

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/fdlimit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

// Env is what a scenario runs with.
type Env struct {
	// Tokens gives fan tokens; Admin mints admin tokens (only the secret can).
	Tokens api.TokenSource
	Admin  func(userID string) (string, error)
	// Collector and Log receive every call's sample and record.
	Collector *stats.Collector
	Log       *audit.Log
	// Label prefixes the live console lines (default: the scenario's name).
	Label string
	// Out receives console lines; TTY enables the rewritten progress line.
	Out io.Writer
	TTY bool
	// Limit is the open-file limit connections are checked against.
	Limit fdlimit.Limit
	// RunID makes user ids and idempotency keys unique to this run.
	RunID string
	// OnConnected, optional, is called in flash when every fan's connection is open,
	// just before the start barrier opens (e.g. to sample the server's memory).
	OnConnected func(conns int)
	// Bare starts the bare reference server of flash --queue (nil: no bare reference).
	Bare BareStarter
}

// NewRunID returns a short id unique enough to tell runs apart.
func NewRunID() string {
	return strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36)
}

// Fact is one named result of a scenario, in report order.
type Fact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Result is what a scenario reports beyond the stats.
type Result struct {
	Scenario string             `json:"scenario"`
	EventID  string             `json:"event_id"`
	Facts    []Fact             `json:"facts"`
	Notes    []string           `json:"notes,omitempty"`
	Started  time.Time          `json:"started"`
	Ended    time.Time          `json:"ended"`
	Config   Config             `json:"config"`
	Limit    string             `json:"fd_limit"`
	Sections []audit.SectionRef `json:"sections"`
	// Numbers holds the scenario's main counts by name, for tools (bench).
	Numbers map[string]float64 `json:"numbers"`
	// Queue is the flash --queue report: the rush through the room, without it and the
	// bare reference.
	Queue *QueueRush `json:"queue,omitempty"`
	// Initial holds the maps read before the run (for the audit).
	Initial map[audit.SectionRef]audit.SeatMap `json:"-"`
}

func (r *Result) fact(name string, format string, a ...any) {
	r.Facts = append(r.Facts, Fact{Name: name, Value: fmt.Sprintf(format, a...)})
}

// Fact returns the named fact's value.
func (r *Result) Fact(name string) string {
	for _, f := range r.Facts {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func (r *Result) num(name string, v float64) {
	if r.Numbers == nil {
		r.Numbers = map[string]float64{}
	}
	r.Numbers[name] = v
}

func (r *Result) note(format string, a ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, a...))
}

// rng returns the reproducible random source of one stream of the run.
func rng(seed uint64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// EnvOptions configure NewEnv.
type EnvOptions struct {
	Target string
	// Secret mints tokens (always admin tokens; fan tokens too unless TokenSource is "api").
	Secret      []byte
	TokenSource string
	TokenTTL    time.Duration
	Out         io.Writer
	TTY         bool
	Limit       fdlimit.Limit
}

// NewEnv returns a fresh environment: a new collector, log and run id.
func NewEnv(o EnvOptions) *Env {
	local := api.LocalTokens{Secret: o.Secret, TTL: o.TokenTTL}
	var src api.TokenSource = local
	if o.TokenSource == "api" {
		src = api.APITokens{Base: o.Target, HTTP: api.NewHTTPClient(16, 30*time.Second)}
	}
	return &Env{
		Tokens:    &api.CachingTokens{Source: src},
		Admin:     func(user string) (string, error) { return local.Mint(user, "admin") },
		Collector: stats.NewCollector(),
		Log:       &audit.Log{},
		Out:       o.Out,
		TTY:       o.TTY,
		Limit:     o.Limit,
		RunID:     NewRunID(),
	}
}
