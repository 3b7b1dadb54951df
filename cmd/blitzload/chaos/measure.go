package chaos

import (
	"sort"
	"time"
)

// measure derives the fault's cost from the fans' operations.
func measure(s *sale, f *fault, res *Result) {
	s.mu.Lock()
	ops := append([]opRecord(nil), s.ops...)
	res.Fails = map[string]int{}
	for k, v := range s.fails {
		res.Fails[k] = v
	}
	res.GivenUp = s.givenUp
	s.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()

	res.Victim = f.victim
	res.Moved = append([]string(nil), f.moved...)
	sort.Strings(res.Moved)
	res.Exited, res.ExitAfter, res.ExitCode = f.exited, f.exitAfter, f.exitCode
	res.DrainStatus = f.drainStatus
	res.Started = f.started
	res.Notes = append(res.Notes, f.notes...)
	var lat []time.Duration
	for _, op := range ops {
		if op.definite {
			res.Decisions++
			lat = append(lat, op.end.Sub(op.start))
		}
	}
	res.P50, res.P99 = quantile(lat, 0.50), quantile(lat, 0.99)
	faultEnd := f.t0.Add(s.cfg.After)
	for _, op := range ops {
		if op.end.After(f.t0) && op.start.Before(faultEnd) {
			res.SlowestDuringFault = max(res.SlowestDuringFault, op.end.Sub(op.start))
		}
	}

	res.FailoverBySection = map[string]time.Duration{}
	if res.Scenario == Add {
		// From the new node's readiness to the first answer served after each move.
		for sec, at := range f.movedAt {
			if d, ok := firstDefinite(ops, sec, at); ok {
				res.FailoverBySection[sec] = at.Add(d).Sub(f.readyAt)
				res.Rebalance = max(res.Rebalance, at.Add(d).Sub(f.readyAt))
			}
		}
		return
	}
	for _, sec := range f.moved {
		d, ok := firstDefinite(ops, sec, f.t0)
		if !ok {
			res.Notes = append(res.Notes, "no operation on moved section "+sec+" was answered after the fault")
			continue
		}
		res.FailoverBySection[sec] = d
		res.Failover = max(res.Failover, d)
	}
}

// firstDefinite returns how long after since the first definite answer arrived to an
// operation on section that started at or after since.
func firstDefinite(ops []opRecord, section string, since time.Time) (time.Duration, bool) {
	var best time.Time
	for _, op := range ops {
		if op.section != section || !op.definite || op.start.Before(since) {
			continue
		}
		if best.IsZero() || op.end.Before(best) {
			best = op.end
		}
	}
	if best.IsZero() {
		return 0, false
	}
	return best.Sub(since), true
}

// quantile returns the q-quantile of d (nearest rank); d is sorted in place.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(q*float64(len(d))+0.5) - 1
	return d[min(max(i, 0), len(d)-1)]
}
