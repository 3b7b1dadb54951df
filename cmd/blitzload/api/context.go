package api

import (
	"context"
	"time"
)

type scheduledKey struct{}

// WithScheduled marks calls made with ctx as scheduled for t by an open-model run, so
// their latency is measured from t.
func WithScheduled(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, scheduledKey{}, t)
}

func scheduledFrom(ctx context.Context) time.Time {
	t, _ := ctx.Value(scheduledKey{}).(time.Time)
	return t
}
