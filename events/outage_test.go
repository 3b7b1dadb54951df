package events

import (
	"errors"
	"fmt"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestOutageLogsOncePerOutageAndStage(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	o := outage{log: zap.New(core)}
	for i := 0; i < 10; i++ {
		o.failed(failedAt("publish to kafka", fmt.Errorf("attempt %d: broker down", i)))
	}
	o.failed(failedAt("read pending outbox records", errors.New("database down")))
	o.failed(failedAt("read pending outbox records", errors.New("database down")))
	o.recovered()
	o.recovered()
	o.failed(failedAt("publish to kafka", errors.New("broker down again")))

	var errorsLogged, recoveries int
	for _, e := range logs.All() {
		switch e.Level {
		case zapcore.ErrorLevel:
			errorsLogged++
		case zapcore.InfoLevel:
			recoveries++
		}
	}
	if errorsLogged != 3 {
		t.Errorf("%d error lines, want 3 (first failure, new stage, next outage)", errorsLogged)
	}
	if recoveries != 1 {
		t.Errorf("%d recovery lines, want 1", recoveries)
	}
}
