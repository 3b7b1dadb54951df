package chaos

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// fault is what was injected and what the harness saw of it.
type fault struct {
	victim string
	t0     time.Time
	moved  []string
	// movedAt (Add): when the harness first saw each section's lease on the new node.
	movedAt map[string]time.Time
	readyAt time.Time // Add, Restart: the new process answered /readyz
	started time.Duration

	mu          sync.Mutex
	exited      bool
	exitAfter   time.Duration
	exitCode    int
	drainStatus int
	notes       []string
	bg          sync.WaitGroup
}

func (f *fault) note(format string, args ...any) {
	f.mu.Lock()
	f.notes = append(f.notes, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

// wait waits for the fault's background watchers.
func (f *fault) wait() { f.bg.Wait() }

// watchExit records when n's process ends, measured from since, for up to limit.
func (f *fault) watchExit(n *node, since time.Time, limit time.Duration) {
	srv := n.srv
	f.bg.Add(1)
	go func() {
		defer f.bg.Done()
		select {
		case <-srv.Done():
			code, _ := srv.ExitCode()
			f.mu.Lock()
			f.exited, f.exitAfter, f.exitCode = true, time.Since(since), code
			f.mu.Unlock()
		case <-time.After(limit):
			f.note("%s still running %s after the fault's end", n.name, limit)
		}
	}()
}

// inject injects the scenario's fault and returns once it is in place (for Add and
// Restart: once the new process is ready).
func inject(ctx context.Context, c *cluster, cfg Config, sc Scenario, eventID string, sections []string,
	owners map[string]string, say func(string, ...any)) (*fault, error) {
	f := &fault{victim: busiest(owners)}
	if sc == None {
		f.t0, f.victim = time.Now(), ""
		say("no fault")
		return f, nil
	}
	if sc != Add {
		if f.victim == "" {
			return nil, fmt.Errorf("chaos %s: no section lease found: nothing is active to move", sc)
		}
		f.moved = hostedBy(owners, f.victim)
	}
	victim := c.node(f.victim)
	switch sc {
	case Kill:
		f.t0 = time.Now()
		if err := victim.srv.Signal(syscall.SIGKILL); err != nil {
			return nil, err
		}
		say("kill -9 %s, which hosts %v", victim.name, f.moved)
	case Stop:
		f.t0 = time.Now()
		if err := victim.srv.Signal(syscall.SIGSTOP); err != nil {
			return nil, err
		}
		say("SIGSTOP %s, which hosts %v, for %s", victim.name, f.moved, cfg.StopFor)
		f.bg.Add(1)
		go func() {
			defer f.bg.Done()
			sleepCtx(ctx, cfg.StopFor)
			cont := time.Now()
			if err := victim.srv.Signal(sigCont); err != nil {
				f.note("SIGCONT %s: %v", victim.name, err)
				return
			}
			say("SIGCONT %s", victim.name)
			f.watchExit(victim, cont, cfg.After+20*time.Second)
		}()
	case Drain:
		tok, err := c.token("chaos-admin", "admin")
		if err != nil {
			return nil, err
		}
		admin := api.New(api.Config{Base: victim.base(), HTTP: api.NewHTTPClient(1, 10*time.Second), Token: tok})
		c.takeOut(victim) // the balancer sees /readyz turn 503 at once
		f.t0 = time.Now()
		r := admin.Drain(ctx)
		f.drainStatus = r.Status
		if r.Status != http.StatusAccepted {
			f.note("drain answered %d %s %s", r.Status, r.Code, r.Message)
		}
		say("drain %s, which hosts %v: %d", victim.name, f.moved, r.Status)
		f.watchExit(victim, f.t0, cfg.After+30*time.Second)
	case Restart:
		f.t0 = time.Now()
		if err := victim.srv.Signal(syscall.SIGKILL); err != nil {
			return nil, err
		}
		<-victim.srv.Done()
		say("kill -9 %s, which hosts %v; starting it again on the same addresses", victim.name, f.moved)
		began := time.Now()
		if err := c.restart(ctx, victim); err != nil {
			return nil, err
		}
		f.readyAt, f.started = time.Now(), time.Since(began)
		say("%s is back after %s", victim.name, f.started.Round(time.Millisecond))
	case Add:
		f.t0 = time.Now()
		say("adding a node")
		n, err := c.addNode(ctx)
		if err != nil {
			return nil, err
		}
		f.victim, f.readyAt, f.started = n.name, time.Now(), time.Since(f.t0)
		say("%s joined after %s", n.name, f.started.Round(time.Millisecond))
		f.movedAt = map[string]time.Time{}
		f.bg.Add(1)
		go func() {
			defer f.bg.Done()
			f.watchMoves(ctx, c, eventID, sections, n.name, f.t0.Add(cfg.After))
		}()
	default:
		return nil, fmt.Errorf("chaos: unknown scenario %q", sc)
	}
	return f, nil
}

// watchMoves polls the section leases until deadline, noting when each section's
// lease first names the new node.
func (f *fault) watchMoves(ctx context.Context, c *cluster, eventID string, sections []string, name string, deadline time.Time) {
	for time.Now().Before(deadline) && ctx.Err() == nil {
		now := time.Now()
		for s, o := range c.leaseOwners(ctx, eventID, sections) {
			if o != name {
				continue
			}
			f.mu.Lock()
			if _, seen := f.movedAt[s]; !seen {
				f.movedAt[s] = now
				f.moved = append(f.moved, s)
			}
			f.mu.Unlock()
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
}
