package flashsale

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Limits of a Request, and the fans and seconds a sale gets when its starter names none.
const (
	MinFans        = 1
	MaxFans        = 2000
	DefaultFans    = 300
	MinSeconds     = 1
	MaxSeconds     = 60
	DefaultSeconds = 10
)

// Defaults of Config.
const (
	DefaultInFlight  = 64
	DefaultKeep      = 100
	DefaultThinkTime = 300 * time.Millisecond
)

const (
	callTimeout      = 10 * time.Second
	seatMapFreshness = 250 * time.Millisecond
	statusRunning    = "running"
	statusDone       = "done"
	maxSeatsPerFan   = 4
	paymentOK        = "tok_ok"
	paymentDeclined  = "tok_decline"
	userPrefix       = "sim-"
)

// Config configures Sales. Reservations, Catalog and Logger are required.
type Config struct {
	// Reservations makes the simulated fans' decisions: the engine's own, the one the
	// HTTP handlers use too, so a simulated fan is treated exactly like a real one.
	Reservations Reservations
	// Catalog names the sections and shows the fans the seat maps.
	Catalog Catalog
	// Logger receives the start and end of each sale.
	Logger *zap.Logger
	// MaxInFlight caps the simulated fans active at once across all sales, so that a
	// flash sale cannot starve real fans. DefaultInFlight when zero.
	MaxInFlight int
	// Keep is how many finished sales Status still knows; DefaultKeep when zero.
	Keep int
	// ThinkTime is the longest pause a fan takes between seeing its hold and deciding
	// what to do with it; DefaultThinkTime when zero, none when negative.
	ThinkTime time.Duration
	// Seed makes the fans' choices repeatable; zero picks a random seed per sale.
	Seed uint64
}

// Request starts a flash sale: Fans simulated fans arrive evenly over Seconds.
type Request struct {
	EventID   string
	SectionID string
	Fans      int
	Seconds   int
}

// Status is a flash sale's progress. Attempts counts hold requests; each ends
// as one of Holds or Refusals. Orders counts confirmed holds.
type Status struct {
	ID        string
	EventID   string
	SectionID string
	Fans      int
	Seconds   int
	Status    string // running or done
	Attempts  int64
	Holds     int64
	Orders    int64
	Refusals  int64
}

// validate checks the counts against the limits; every bad field is named.
func (r Request) validate() error {
	fields := map[string]string{}
	if r.Fans < MinFans || r.Fans > MaxFans {
		fields["fans"] = fmt.Sprintf("must be between %d and %d", MinFans, MaxFans)
	}
	if r.Seconds < MinSeconds || r.Seconds > MaxSeconds {
		fields["seconds"] = fmt.Sprintf("must be between %d and %d", MinSeconds, MaxSeconds)
	}
	if len(fields) > 0 {
		return actors.InvalidFields(fields)
	}
	return nil
}

// RunningError refuses a second flash sale on a section that has one running.
type RunningError struct {
	// ID is the running sale's id.
	ID string
}

// Error implements error.
func (e *RunningError) Error() string {
	return "a flash sale is already running on this section: " + e.ID
}

// Sales runs simulated crowds inside the engine, for demonstrations: each
// simulated fan has its own user id, picks a few random available seats from the seat
// map (falling back to best available when they are taken), then confirms (60%),
// fails payment and releases (10%), releases (15%) or walks away and lets the hold
// expire (15%). At most one sale runs per section; all of them stop on Close.
type Sales struct {
	cfg    Config
	log    *zap.Logger
	slots  chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	seq    atomic.Uint64

	mu       sync.Mutex
	closed   bool
	sales    map[string]*saleState
	running  map[actors.SectionKey]string
	finished []string // ids of finished sales, oldest first
}

// New builds the runner.
func New(cfg Config) (*Sales, error) {
	var problems []error
	if cfg.Reservations == nil {
		problems = append(problems, errors.New("reservations is required"))
	}
	if cfg.Catalog == nil {
		problems = append(problems, errors.New("catalog is required"))
	}
	if cfg.Logger == nil {
		problems = append(problems, errors.New("logger is required"))
	}
	if cfg.MaxInFlight < 0 {
		problems = append(problems, fmt.Errorf("max in flight %d is negative", cfg.MaxInFlight))
	}
	if cfg.Keep < 0 {
		problems = append(problems, fmt.Errorf("keep %d is negative", cfg.Keep))
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("flash sale config: %w", err)
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = DefaultInFlight
	}
	if cfg.Keep == 0 {
		cfg.Keep = DefaultKeep
	}
	if cfg.ThinkTime == 0 {
		cfg.ThinkTime = DefaultThinkTime
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Sales{
		cfg:     cfg,
		log:     cfg.Logger,
		slots:   make(chan struct{}, cfg.MaxInFlight),
		ctx:     ctx,
		cancel:  cancel,
		sales:   make(map[string]*saleState),
		running: make(map[actors.SectionKey]string),
	}, nil
}

// Start validates r and starts the sale in the background. It returns NOT_FOUND for
// an unknown event or section, VALIDATION_FAILED for counts out of range, a
// *RunningError when the section has a sale running, and UNAVAILABLE after Close.
func (f *Sales) Start(ctx context.Context, r Request) (Status, error) {
	if err := r.validate(); err != nil {
		return Status{}, err
	}
	ev, err := f.cfg.Catalog.GetEvent(ctx, r.EventID)
	if err != nil {
		return Status{}, fmt.Errorf("flash sale on event %s: %w", r.EventID, err)
	}
	var section *actors.Section
	for i := range ev.Sections {
		if ev.Sections[i].ID == r.SectionID {
			section = &ev.Sections[i]
		}
	}
	if section == nil {
		return Status{}, &actors.Error{Code: actors.CodeNotFound, Message: "section not found"}
	}
	key := actors.SectionKey{EventID: r.EventID, SectionID: r.SectionID}
	seed := f.cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	sale := &saleState{
		id:   actors.NewID("fs_"),
		req:  r,
		key:  key,
		kind: section.Kind,
		seed: seed + f.seq.Add(1),
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return Status{}, actors.Unavailable("shutting down")
	}
	if id, ok := f.running[key]; ok {
		return Status{}, &RunningError{ID: id}
	}
	f.running[key] = sale.id
	f.sales[sale.id] = sale
	f.wg.Add(1)
	go f.run(sale)
	f.log.Info("flash sale started", zap.String("id", sale.id), zap.String("section", key.Identity()),
		zap.Int("fans", r.Fans), zap.Int("seconds", r.Seconds))
	return sale.status(), nil
}

// Status returns a sale's progress, or NOT_FOUND.
func (f *Sales) Status(id string) (Status, error) {
	f.mu.Lock()
	sale, ok := f.sales[id]
	f.mu.Unlock()
	if !ok {
		return Status{}, &actors.Error{Code: actors.CodeNotFound, Message: "flash sale not found"}
	}
	return sale.status(), nil
}

// Close stops every running sale (fans in the middle of a request see it cancelled)
// and waits for them, or for ctx. Later Starts are refused.
func (f *Sales) Close(ctx context.Context) error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	done := make(chan struct{})
	go func() {
		f.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop flash sales: %w", ctx.Err())
	}
}

// run lets the fans in, evenly spread over the sale's seconds, as slots free up.
func (f *Sales) run(sale *saleState) {
	defer f.wg.Done()
	defer f.finish(sale)
	start := time.Now()
	spacing := time.Duration(sale.req.Seconds) * time.Second / time.Duration(sale.req.Fans)
	var fans sync.WaitGroup
	defer fans.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for n := 0; n < sale.req.Fans; n++ {
		timer.Reset(time.Until(start.Add(time.Duration(n) * spacing)))
		select {
		case <-f.ctx.Done():
			return
		case <-timer.C:
		}
		select {
		case <-f.ctx.Done():
			return
		case f.slots <- struct{}{}:
		}
		fans.Add(1)
		go func() {
			defer fans.Done()
			defer func() { <-f.slots }()
			f.fan(sale, n)
		}()
	}
}

func (f *Sales) finish(sale *saleState) {
	sale.done.Store(true)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running[sale.key] == sale.id {
		delete(f.running, sale.key)
	}
	f.finished = append(f.finished, sale.id)
	for len(f.finished) > f.cfg.Keep {
		delete(f.sales, f.finished[0])
		f.finished = f.finished[1:]
	}
	st := sale.status()
	f.log.Info("flash sale done", zap.String("id", sale.id), zap.Int64("attempts", st.Attempts),
		zap.Int64("holds", st.Holds), zap.Int64("orders", st.Orders), zap.Int64("refusals", st.Refusals))
}
