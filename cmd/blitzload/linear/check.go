package linear

import (
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// DefaultTimeout bounds a whole Check when Options.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// Options tunes Check. The zero value works.
type Options struct {
	// Timeout bounds the whole check; DefaultTimeout when zero. Seats not decided in
	// time are reported in Report.TimedOut.
	Timeout time.Duration
	// VisualizeDir, when set, receives one porcupine HTML visualization per illegal
	// seat. The directory is created if missing.
	VisualizeDir string
	// Workers is how many seats are checked at once; runtime.GOMAXPROCS(0) when zero.
	Workers int
}

// withDefaults returns a copy of o with every unset field filled in.
func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Check checks every seat's history against the model of one seat and reports the
// seats whose history is not linearizable. Invalid ops are set aside and reported; the
// rest are checked.
func Check(ops []Op, opt Options) Report {
	opt = opt.withDefaults()
	deadline := time.Now().Add(opt.Timeout)
	var rep Report
	valid := make([]Op, 0, len(ops))
	for _, op := range ops {
		if err := op.validate(); err != nil {
			rep.Invalid = append(rep.Invalid, InvalidOp{Op: op, Reason: err.Error()})
			continue
		}
		valid = append(valid, op)
	}
	seats := groupBySeat(valid)
	rep.Seats, rep.Ops = len(seats), len(valid)
	base := earliestCall(valid)

	verdicts := make([]seatVerdict, len(seats))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(opt.Workers, max(len(seats), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				verdicts[i] = checkSeat(seats[i], base, deadline, opt.VisualizeDir)
			}
		}()
	}
	for i := range seats {
		next <- i
	}
	close(next)
	wg.Wait()

	for i, v := range verdicts {
		switch v.result {
		case porcupine.Illegal:
			rep.Illegal = append(rep.Illegal, v.illegal)
		case porcupine.Unknown:
			rep.TimedOut = append(rep.TimedOut, seats[i].key())
		}
	}
	sort.Strings(rep.TimedOut)
	return rep
}

// seatVerdict is one seat's outcome.
type seatVerdict struct {
	result  porcupine.CheckResult
	illegal SeatResult
}

// checkSeat decides one seat within what is left of the overall deadline. The quick
// check runs first; only an illegal seat pays for the verbose rerun a visualization
// needs.
func checkSeat(h seatHistory, base, deadline time.Time, visualizeDir string) seatVerdict {
	left := time.Until(deadline)
	if left <= 0 {
		return seatVerdict{result: porcupine.Unknown}
	}
	model := seatModel()
	history := operations(h.Ops, base)
	result := porcupine.CheckOperationsTimeout(model, history, left)
	if result != porcupine.Illegal {
		return seatVerdict{result: result}
	}
	sr := describeSeat(h)
	if visualizeDir != "" {
		sr.Visualization, sr.VisualizationError = visualize(model, history, h, visualizeDir, deadline)
	}
	return seatVerdict{result: result, illegal: sr}
}
