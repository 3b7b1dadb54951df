package persistence

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// usedPassesKey names an event's used passes: a sorted set of ticket ids, scored by
// their passes' expiry in unix seconds.
func (w *WaitingRooms) usedPassesKey(eventID string) string { return w.eventKey(eventID, "used") }

// UsePasses records the passes holds used (waitingroom.PassUses), in one round trip; a
// pass recorded before keeps its first record. Each event's set lives until its last
// pass has expired.
func (w *WaitingRooms) UsePasses(ctx context.Context, uses []waitingroom.PassUse) error {
	if len(uses) == 0 {
		return nil
	}
	last := make(map[string]time.Time)
	_, err := w.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, u := range uses {
			p.ZAddNX(ctx, w.usedPassesKey(u.EventID), redis.Z{Score: float64(u.Expires.Unix()), Member: u.TicketID})
			if u.Expires.After(last[u.EventID]) {
				last[u.EventID] = u.Expires
			}
		}
		for id, exp := range last {
			p.ExpireGT(ctx, w.usedPassesKey(id), time.Until(exp)+time.Minute)
			p.ExpireNX(ctx, w.usedPassesKey(id), time.Until(exp)+time.Minute)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d queue passes used: %w", len(uses), err)
	}
	return nil
}

// UsedPasses counts the event's passes used that are still valid at now, forgetting
// the expired ones.
func (w *WaitingRooms) UsedPasses(ctx context.Context, eventID string, now time.Time) (int64, error) {
	key := w.usedPassesKey(eventID)
	at := strconv.FormatFloat(float64(now.UnixMilli())/1000, 'f', 3, 64)
	var n *redis.IntCmd
	_, err := w.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, key, "-inf", at)
		n = p.ZCard(ctx, key)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count the queue passes used of %s: %w", eventID, err)
	}
	return n.Val(), nil
}
