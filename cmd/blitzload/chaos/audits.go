package chaos

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/linear"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stream"
)

// audits reads the final state back through a node the balancer offers and runs the
// three checks.
func audits(ctx context.Context, c *cluster, s *sale, res *Result) error {
	c.checkReady(ctx)
	base := c.targets()[0]
	reader := api.NewAuditReader(base, api.LocalTokens{Secret: []byte(c.cfg.JWTSecret), TTL: time.Hour})
	recs := s.log.Records()
	final, err := audit.Collect(ctx, reader, recs, 16)
	if err != nil {
		return fmt.Errorf("read the final state back: %w", err)
	}
	res.Audit = audit.Check(audit.Input{Records: recs, Final: final}, audit.Options{})

	// The final maps are the last read of every seat.
	finalVersions := map[string]int64{}
	var ops []linear.Op
	for ref, m := range final.SeatMaps {
		finalVersions[ref.String()] = m.Version
		for seat, status := range m.Seats {
			ops = append(ops, linear.Op{Section: ref.String(), Seat: seat, Kind: linear.KindRead, Result: linear.ResultOK, Status: status,
				Call: m.ReadStart, Return: m.ReadEnd, Client: -1})
		}
	}
	s.mu.Lock()
	for _, op := range s.seatOps {
		if !s.unsound[op.Section] {
			ops = append(ops, op)
		}
	}
	for sec := range s.unsound {
		res.Unsound = append(res.Unsound, sec)
	}
	exp := stream.Expect{FinalVersions: finalVersions, Holds: s.expect.holds, Orders: s.expect.orders,
		Released: s.expect.released, Cancelled: s.expect.cancelled}
	s.mu.Unlock()
	sort.Strings(res.Unsound)
	res.Linear = linear.Check(ops, linear.Options{Timeout: 2 * time.Minute, VisualizeDir: res.WorkDir})

	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	msgs, err := stream.WaitExpected(sctx, []string{c.broker.addr}, stream.Topics(), exp, 250*time.Millisecond)
	if err != nil && sctx.Err() == nil {
		return fmt.Errorf("read the event stream: %w", err)
	}
	res.Stream = stream.Check(msgs, exp)
	return nil
}
