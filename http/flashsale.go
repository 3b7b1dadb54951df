package http

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

// Limits and defaults of a flash sale.
const (
	MinFlashFans          = 1
	MaxFlashFans          = 2000
	DefaultFlashFans      = 300
	MinFlashSeconds       = 1
	MaxFlashSeconds       = 60
	DefaultFlashSeconds   = 10
	DefaultFlashInFlight  = 64
	DefaultFlashKeep      = 100
	DefaultFlashThinkTime = 300 * time.Millisecond
)

const (
	flashCallTimeout      = 10 * time.Second
	flashSeatMapFreshness = 250 * time.Millisecond
	flashStatusRunning    = "running"
	flashStatusDone       = "done"
	flashMaxSeatsPerFan   = 4
	flashPaymentOK        = "tok_ok"
	flashPaymentDeclined  = "tok_decline"
	flashUserPrefix       = "sim-"
)

// FlashSaleConfig configures FlashSales. Reservations, Catalog and Logger are required.
type FlashSaleConfig struct {
	// Reservations makes the simulated fans' decisions: the same port the HTTP handlers
	// use, so a simulated fan is treated exactly like a real one.
	Reservations Reservations
	// Catalog names the sections and shows the fans the seat maps.
	Catalog Catalog
	// Logger receives the start and end of each sale.
	Logger *zap.Logger
	// MaxInFlight caps the simulated fans active at once across all sales, so that a
	// flash sale cannot starve real fans. DefaultFlashInFlight when zero.
	MaxInFlight int
	// Keep is how many finished sales stay visible to GET; DefaultFlashKeep when zero.
	Keep int
	// ThinkTime is the longest pause a fan takes between seeing its hold and deciding
	// what to do with it; DefaultFlashThinkTime when zero, none when negative.
	ThinkTime time.Duration
	// Seed makes the fans' choices repeatable; zero picks a random seed per sale.
	Seed uint64
}

// FlashSaleRequest starts a flash sale: Fans simulated fans arrive evenly over Seconds.
type FlashSaleRequest struct {
	EventID   string
	SectionID string
	Fans      int
	Seconds   int
}

// FlashSaleStatus is a flash sale's progress. Attempts counts hold requests; each ends
// as one of Holds or Refusals. Orders counts confirmed holds.
type FlashSaleStatus struct {
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

// FlashSaleRunningError refuses a second flash sale on a section that has one running.
type FlashSaleRunningError struct {
	// ID is the running sale's id.
	ID string
}

// Error implements error.
func (e *FlashSaleRunningError) Error() string {
	return "a flash sale is already running on this section: " + e.ID
}

// FlashSales runs simulated crowds inside the engine, for demonstrations: each
// simulated fan has its own user id, picks a few random available seats from the seat
// map (falling back to best available when they are taken), then confirms (60%),
// fails payment and releases (10%), releases (15%) or walks away and lets the hold
// expire (15%). At most one sale runs per section; all of them stop on Close.
type FlashSales struct {
	cfg    FlashSaleConfig
	log    *zap.Logger
	slots  chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	seq    atomic.Uint64

	mu       sync.Mutex
	closed   bool
	sales    map[string]*flashSale
	running  map[actors.SectionKey]string
	finished []string // ids of finished sales, oldest first
}

// NewFlashSales builds the runner; Server.MountFlashSales serves it.
func NewFlashSales(cfg FlashSaleConfig) (*FlashSales, error) {
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
		cfg.MaxInFlight = DefaultFlashInFlight
	}
	if cfg.Keep == 0 {
		cfg.Keep = DefaultFlashKeep
	}
	if cfg.ThinkTime == 0 {
		cfg.ThinkTime = DefaultFlashThinkTime
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &FlashSales{
		cfg:     cfg,
		log:     cfg.Logger,
		slots:   make(chan struct{}, cfg.MaxInFlight),
		ctx:     ctx,
		cancel:  cancel,
		sales:   make(map[string]*flashSale),
		running: make(map[actors.SectionKey]string),
	}, nil
}

// Start validates r and starts the sale in the background. It returns NOT_FOUND for
// an unknown event or section, VALIDATION_FAILED for counts out of range, a
// *FlashSaleRunningError when the section has a sale running, and UNAVAILABLE after
// Close.
func (f *FlashSales) Start(ctx context.Context, r FlashSaleRequest) (FlashSaleStatus, error) {
	fields := fieldProblems{}
	if r.Fans < MinFlashFans || r.Fans > MaxFlashFans {
		fields.add("fans", fmt.Sprintf("must be between %d and %d", MinFlashFans, MaxFlashFans))
	}
	if r.Seconds < MinFlashSeconds || r.Seconds > MaxFlashSeconds {
		fields.add("seconds", fmt.Sprintf("must be between %d and %d", MinFlashSeconds, MaxFlashSeconds))
	}
	if err := fields.err(); err != nil {
		return FlashSaleStatus{}, err
	}
	ev, err := f.cfg.Catalog.GetEvent(ctx, r.EventID)
	if err != nil {
		return FlashSaleStatus{}, fmt.Errorf("flash sale on event %s: %w", r.EventID, err)
	}
	var section *actors.Section
	for i := range ev.Sections {
		if ev.Sections[i].ID == r.SectionID {
			section = &ev.Sections[i]
		}
	}
	if section == nil {
		return FlashSaleStatus{}, notFound("section not found")
	}
	key := actors.SectionKey{EventID: r.EventID, SectionID: r.SectionID}
	seed := f.cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	sale := &flashSale{
		id:   actors.NewID("fs_"),
		req:  r,
		key:  key,
		kind: section.Kind,
		seed: seed + f.seq.Add(1),
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return FlashSaleStatus{}, actors.Unavailable("shutting down")
	}
	if id, ok := f.running[key]; ok {
		return FlashSaleStatus{}, &FlashSaleRunningError{ID: id}
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
func (f *FlashSales) Status(id string) (FlashSaleStatus, error) {
	f.mu.Lock()
	sale, ok := f.sales[id]
	f.mu.Unlock()
	if !ok {
		return FlashSaleStatus{}, notFound("flash sale not found")
	}
	return sale.status(), nil
}

// Close stops every running sale (fans in the middle of a request see it cancelled)
// and waits for them, or for ctx. Later Starts are refused.
func (f *FlashSales) Close(ctx context.Context) error {
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
func (f *FlashSales) run(sale *flashSale) {
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

func (f *FlashSales) finish(sale *flashSale) {
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
