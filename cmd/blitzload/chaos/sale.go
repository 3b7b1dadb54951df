package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/linear"
)

// opRecord is one logical operation of a fan: every attempt it took, together.
type opRecord struct {
	kind     linear.Kind
	section  string
	start    time.Time
	end      time.Time
	definite bool // a 2xx or 4xx answer arrived
	attempts int
}

// sale is the fans' side of one run: their records, per-seat operations, and what
// they are owed in the event stream.
type sale struct {
	cfg      Config
	c        *cluster
	eventID  string
	reserved []string            // reserved section ids
	ga       string              // the general-admission section id
	seats    map[string][]string // reserved section → its seat ids
	log      audit.Log

	mu      sync.Mutex
	ops     []opRecord
	seatOps []linear.Op
	pending []*pending
	// fails counts failed attempts by kind; givenUp counts operations that ran out
	// of retry budget without a definite answer.
	fails   map[string]int
	givenUp int
	// unsound names sections whose seat histories cannot be checked (a best-available
	// hold's outcome stayed unknown, so which seats it took is unknown).
	unsound map[string]bool
	expect  streamExpect
}

// streamExpect lists what the fans saw acknowledged.
type streamExpect struct {
	holds, orders, released, cancelled []string
}

func newSale(cfg Config, c *cluster, ev api.Event) *sale {
	s := &sale{cfg: cfg, c: c, eventID: ev.ID, seats: map[string][]string{}, fails: map[string]int{}, unsound: map[string]bool{}}
	for _, sec := range ev.Sections {
		if sec.Kind == audit.KindGeneralAdmission {
			s.ga = sec.ID
			continue
		}
		s.reserved = append(s.reserved, sec.ID)
	}
	sort.Strings(s.reserved)
	return s
}

// sectionKey is the "<event>/<section>" key of the per-seat histories and the stream.
func (s *sale) sectionKey(section string) string { return s.eventID + "/" + section }

func (s *sale) addOp(r opRecord) {
	s.mu.Lock()
	s.ops = append(s.ops, r)
	s.mu.Unlock()
}

func (s *sale) addSeatOps(ops ...linear.Op) {
	s.mu.Lock()
	s.seatOps = append(s.seatOps, ops...)
	s.mu.Unlock()
}

func (s *sale) addPending(p *pending) {
	s.mu.Lock()
	s.pending = append(s.pending, p)
	s.givenUp++
	s.mu.Unlock()
}

func (s *sale) fail(kind string) {
	s.mu.Lock()
	s.fails[kind]++
	s.mu.Unlock()
}

// expectEvent notes an acknowledged change the stream must carry once: list is one of
// s.expect's lists.
func (s *sale) expectEvent(list *[]string, id string) {
	s.mu.Lock()
	*list = append(*list, id)
	s.mu.Unlock()
}

// run drives every fan until stop is closed, then waits for their last operations.
func (s *sale) run(stop <-chan struct{}, fans []*fan) {
	var wg sync.WaitGroup
	for _, f := range fans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.run(stop)
		}()
	}
	wg.Wait()
}

// newFans creates the fans, each with its own user, token and random stream.
func (s *sale) newFans(prefix string) ([]*fan, error) {
	fans := make([]*fan, s.cfg.Fans)
	for i := range fans {
		user := fmt.Sprintf("%s-fan%03d", prefix, i)
		tok, err := s.c.token(user, "fan")
		if err != nil {
			return nil, err
		}
		fans[i] = &fan{s: s, id: i, user: user, token: tok, clients: map[string]*api.Client{},
			rng: rand.New(rand.NewPCG(s.cfg.Seed, uint64(i))), available: map[string][]string{}}
	}
	return fans, nil
}

// failKind names why an attempt failed without a definite answer.
func failKind(r api.Result) string {
	switch {
	case r.Err != nil && r.Status == 0 && errors.Is(r.Err, syscall.ECONNREFUSED):
		return "connection refused"
	case r.Err != nil && r.Status == 0 && errors.Is(r.Err, context.DeadlineExceeded):
		return "timeout"
	case r.Err != nil && r.Status == 0:
		return "no answer"
	case r.Status == 429:
		return "429 " + r.Code
	default:
		return fmt.Sprintf("%d %s", r.Status, r.Code)
	}
}
