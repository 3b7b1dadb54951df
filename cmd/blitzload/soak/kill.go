package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// The probes that find when a section answers again after the kill.
const (
	probeAttemptTimeout = 3 * time.Second
	probePause          = 20 * time.Millisecond
	probeBudget         = 90 * time.Second
)

// Activation is how one section the killed node hosted came back.
type Activation struct {
	Section string `json:"section"`
	// LiveHolds is the section's held, unexpired holds at the kill: what its next
	// activation loads.
	LiveHolds int `json:"live_holds"`
	// Answered says whether a survivor answered a hold on it definitely (2xx or 4xx)
	// within the probe budget; FirstAnswer is the time from the kill to that answer.
	Answered    bool          `json:"answered"`
	FirstAnswer time.Duration `json:"first_answer_ns"`
	// TookOver is the time from the kill to the survivor's log line saying it took the
	// section over, its activation done (0 when no such line was found).
	TookOver time.Duration `json:"took_over_ns"`
	Status   int           `json:"status"`
	Code     string        `json:"code,omitempty"`
	Attempts int           `json:"attempts"`
}

// Kill is the end of the run: which node was killed and how its sections came back.
type Kill struct {
	// Busiest is the section with the most decisions; Victim the node that held its
	// lease, killed with SIGKILL.
	Busiest string `json:"busiest"`
	Victim  string `json:"victim"`
	// Detected is the time from the kill to the first survivor's log line declaring
	// the victim dead (0 when none was found): the failure detection every section
	// of the victim waits for before any survivor may take it over.
	Detected time.Duration `json:"detected_ns"`
	// Activations lists the victim's sections, fewest live holds first.
	Activations []Activation `json:"activations"`
	// Restart is how long the killed node took from its new start to /readyz 200.
	Restart time.Duration `json:"restart_ns"`
}

// busiest returns the section with the most decisions (by name, for ties).
func busiest(bySection map[string]int) string {
	var best string
	for sec, n := range bySection {
		if best == "" || n > bySection[best] || (n == bySection[best] && sec < best) {
			best = sec
		}
	}
	return best
}

// prepareKill places the quiet sections' few holds and the burst of holds on the
// busiest section, all left to expire.
func (s *sale) prepareKill(busiestSection string) {
	var wg sync.WaitGroup
	jobs := make(chan api.HoldRequest)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wrng := rand.New(rand.NewPCG(s.cfg.Seed, 1<<62+uint64(w)+1))
			for req := range jobs {
				u := s.users[wrng.IntN(len(s.users))]
				s.mu.Lock()
				s.journeys++
				n := s.journeys
				s.mu.Unlock()
				if _, r := s.hold(u, req, fmt.Sprintf("%s-b%d-h", s.prefix, n), wrng); r.OK() && r.Err == nil {
					s.count(opAbandon, "")
				}
			}
		}()
	}
	for i := range quietSections {
		for range quietHolds {
			jobs <- api.HoldRequest{SectionID: quietID(i), Quantity: 1}
		}
	}
	for range s.cfg.BurstHolds {
		jobs <- api.HoldRequest{SectionID: busiestSection, Quantity: 1}
	}
	close(jobs)
	wg.Wait()
}

// killAndProbe kills the node holding busiestSection's lease and probes each section it
// hosted from the survivors until each answers.
func (s *sale) killAndProbe(ctx context.Context, smp *sampler, busiestSection string, say func(string, ...any)) (Kill, error) {
	k := Kill{Busiest: busiestSection}
	all := s.allSections()
	owners := s.k.LeaseOwners(ctx, s.eventID, all)
	k.Victim = owners[busiestSection]
	if k.Victim == "" {
		return k, fmt.Errorf("soak: no node holds section %s's lease", busiestSection)
	}
	live, err := smp.liveHolds(ctx, s.eventID)
	if err != nil {
		return k, err
	}
	var hosted []string
	for _, sec := range all {
		if owners[sec] == k.Victim {
			hosted = append(hosted, sec)
		}
	}
	var survivors, logs []string
	for _, n := range s.k.Nodes() {
		if n.Running && n.Name != k.Victim {
			survivors, logs = append(survivors, n.Base), append(logs, n.LogPath)
		}
	}
	if len(survivors) == 0 {
		return k, fmt.Errorf("soak: no survivor to probe from")
	}
	t0, err := s.k.Kill(k.Victim)
	if err != nil {
		return k, err
	}
	say("kill -9 %s, which hosts %v", k.Victim, hosted)
	acts := make([]Activation, len(hosted))
	var wg sync.WaitGroup
	for i, sec := range hosted {
		acts[i] = Activation{Section: sec, LiveHolds: live[sec]}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.probe(ctx, &acts[i], survivors, t0, i)
		}()
	}
	wg.Wait()
	k.Detected = s.readTakeovers(logs, k.Victim, t0, acts, say)
	sort.SliceStable(acts, func(i, j int) bool {
		if acts[i].LiveHolds != acts[j].LiveHolds {
			return acts[i].LiveHolds < acts[j].LiveHolds
		}
		return acts[i].Section < acts[j].Section
	})
	k.Activations = acts
	began := time.Now()
	if err := s.k.Restart(ctx, k.Victim); err != nil {
		return k, err
	}
	k.Restart = time.Since(began)
	s.k.CheckReady(ctx)
	say("%s is back after %s", k.Victim, k.Restart.Round(time.Millisecond))
	return k, nil
}

// probe sends one hold on a.Section (the same idempotency key every time) to the
// survivors in turn until one answers definitely, then releases it when it was granted.
func (s *sale) probe(ctx context.Context, a *Activation, survivors []string, t0 time.Time, i int) {
	u := s.users[i%len(s.users)]
	key := fmt.Sprintf("%s-probe-%s", s.prefix, a.Section)
	req := api.HoldRequest{SectionID: a.Section, Quantity: 1}
	for time.Since(t0) < probeBudget && ctx.Err() == nil {
		base := survivors[a.Attempts%len(survivors)]
		a.Attempts++
		actx, cancel := context.WithTimeout(ctx, probeAttemptTimeout)
		h, r := s.client(u, base).Hold(actx, s.eventID, req, key)
		cancel()
		if r.Retryable() {
			time.Sleep(probePause)
			continue
		}
		a.Answered, a.FirstAnswer, a.Status, a.Code = true, r.End.Sub(t0), r.Status, r.Code
		s.decisions.Add(1)
		if r.OK() && r.Err == nil {
			s.lastHold.Store(time.Now().UnixNano())
			rctx, cancel := context.WithTimeout(ctx, probeAttemptTimeout)
			s.client(u, base).Release(rctx, s.eventID, a.Section, h.ID)
			cancel()
		}
		return
	}
}

// allSections lists the busy and the quiet sections.
func (s *sale) allSections() []string {
	var out []string
	for i := range s.cfg.Sections {
		out = append(out, sectionID(i))
	}
	for i := range quietSections {
		out = append(out, quietID(i))
	}
	return out
}

// readTakeovers reads the survivors' logs: it returns the time from t0 to the first
// declaration of victim's death and fills in each activation's TookOver.
func (s *sale) readTakeovers(logs []string, victim string, t0 time.Time, acts []Activation, say func(string, ...any)) time.Duration {
	var detected time.Duration
	for _, path := range logs {
		lost, took, err := takeoverTimes(path, victim, t0.Add(-time.Second))
		if err != nil {
			say("read %s: %v", path, err)
			continue
		}
		if !lost.IsZero() && (detected == 0 || lost.Sub(t0) < detected) {
			detected = lost.Sub(t0)
		}
		for i := range acts {
			if t, ok := took[s.eventID+"/"+acts[i].Section]; ok && (acts[i].TookOver == 0 || t.Sub(t0) < acts[i].TookOver) {
				acts[i].TookOver = t.Sub(t0)
			}
		}
	}
	return detected
}
