package events

import (
	"errors"
	"time"

	"go.uber.org/zap"
)

// outageReminder is how often a failure that goes on is logged again.
const outageReminder = 30 * time.Second

// outage logs a run of failures without flooding the log: the first failure at error
// level, a failure of another stage (say the database after the broker) at error level
// too, a reminder while it goes on, and the recovery with the outage's length.
type outage struct {
	log      *zap.Logger
	since    time.Time
	told     time.Time
	attempts int
	stage    string
}

// stageError names the step of the relay that failed.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.stage + ": " + e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

// failedAt wraps err with the stage that failed.
func failedAt(stage string, err error) error { return &stageError{stage: stage, err: err} }

// failed records one failed attempt.
func (o *outage) failed(err error) {
	stage := "relay"
	var se *stageError
	if errors.As(err, &se) {
		stage = se.stage
	}
	o.attempts++
	now := time.Now()
	if o.attempts == 1 {
		o.since = now
	}
	switch {
	case o.attempts == 1 || stage != o.stage:
		o.log.Error("relay failing; records stay pending and will be retried", zap.String("stage", stage), zap.Error(err))
	case now.Sub(o.told) >= outageReminder:
		o.log.Warn("relay still failing", zap.String("stage", stage), zap.Int("attempts", o.attempts),
			zap.Duration("outage", now.Sub(o.since)), zap.Error(err))
	default:
		o.log.Debug("relay still failing", zap.String("stage", stage), zap.Int("attempts", o.attempts), zap.Error(err))
		return
	}
	o.stage, o.told = stage, now
}

// recovered ends the outage, if there was one.
func (o *outage) recovered() {
	if o.attempts == 0 {
		return
	}
	o.log.Info("relay recovered", zap.Int("failed_attempts", o.attempts), zap.Duration("outage", time.Since(o.since)))
	o.attempts, o.stage = 0, ""
}
