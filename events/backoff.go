package events

import (
	"context"
	"time"
)

// backoffInitial is the first wait after a failure; each further failure doubles it.
const backoffInitial = 100 * time.Millisecond

// backoffDelay is initial doubled attempt times, capped at ceiling.
func backoffDelay(initial, ceiling time.Duration, attempt int) time.Duration {
	d := initial
	for i := 0; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// sleep waits for d, for ctx to be done, or for a signal on wake (nil: no wake-up).
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}
