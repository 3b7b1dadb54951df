package cluster

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// libraryLogLevel is the least severe protoactor record passed on: below it protoactor
// logs every activation, gossip round and topology change.
const libraryLogLevel = slog.LevelWarn

// zapHandler is a slog.Handler writing to zap; protoactor logs through slog. Records
// that are failover noise (protoactorNoise) are counted in noise and written at debug
// level, whatever their own.
type zapHandler struct {
	log    *zap.Logger
	min    slog.Level
	noise  *noiseTally
	fields []zap.Field
	prefix string // open groups, "a.b."
}

func newZapHandler(log *zap.Logger, min slog.Level, noise *noiseTally) *zapHandler {
	return &zapHandler{log: log, min: min, noise: noise}
}

// Enabled implements slog.Handler.
func (h *zapHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.min && h.log.Core().Enabled(zapLevel(l))
}

// Handle implements slog.Handler.
func (h *zapHandler) Handle(_ context.Context, r slog.Record) error {
	level := zapLevel(r.Level)
	if h.noise != nil && protoactorNoise(r.Message) {
		h.noise.add("protoactor", r.Message, peerOf(r), time.Now())
		level = zapcore.DebugLevel
	}
	ce := h.log.Check(level, r.Message)
	if ce == nil {
		return nil
	}
	fields := make([]zap.Field, 0, len(h.fields)+r.NumAttrs())
	fields = append(fields, h.fields...)
	r.Attrs(func(a slog.Attr) bool {
		fields = appendAttr(fields, h.prefix, a)
		return true
	})
	ce.Write(fields...)
	return nil
}

// WithAttrs implements slog.Handler.
func (h *zapHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.fields = append([]zap.Field(nil), h.fields...)
	for _, a := range attrs {
		c.fields = appendAttr(c.fields, h.prefix, a)
	}
	return &c
}

// WithGroup implements slog.Handler.
func (h *zapHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

// peerOf returns the remote address a protoactor record names, if any.
func peerOf(r slog.Record) string {
	var peer string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "address" {
			peer = a.Value.Resolve().String()
			return false
		}
		return true
	})
	return peer
}

func appendAttr(fields []zap.Field, prefix string, a slog.Attr) []zap.Field {
	v := a.Value.Resolve()
	key := prefix + a.Key
	switch v.Kind() {
	case slog.KindGroup:
		for _, g := range v.Group() {
			fields = appendAttr(fields, key+".", g)
		}
		return fields
	case slog.KindString:
		return append(fields, zap.String(key, v.String()))
	case slog.KindInt64:
		return append(fields, zap.Int64(key, v.Int64()))
	case slog.KindUint64:
		return append(fields, zap.Uint64(key, v.Uint64()))
	case slog.KindFloat64:
		return append(fields, zap.Float64(key, v.Float64()))
	case slog.KindBool:
		return append(fields, zap.Bool(key, v.Bool()))
	case slog.KindDuration:
		return append(fields, zap.Duration(key, v.Duration()))
	case slog.KindTime:
		return append(fields, zap.Time(key, v.Time()))
	}
	if err, ok := v.Any().(error); ok {
		return append(fields, zap.NamedError(key, err))
	}
	return append(fields, zap.Any(key, v.Any()))
}

func zapLevel(l slog.Level) zapcore.Level {
	switch {
	case l >= slog.LevelError:
		return zapcore.ErrorLevel
	case l >= slog.LevelWarn:
		return zapcore.WarnLevel
	case l >= slog.LevelInfo:
		return zapcore.InfoLevel
	default:
		return zapcore.DebugLevel
	}
}

// memberlistLog is the io.Writer behind memberlist's *log.Logger; it turns memberlist's
// "[LEVEL] memberlist: ..." lines into zap entries. Lines that are failover noise
// (memberlistNoise) are counted in noise and written at debug level.
type memberlistLog struct {
	log   *zap.Logger
	noise *noiseTally
}

// Write implements io.Writer.
func (w memberlistLog) Write(b []byte) (int, error) {
	line := strings.TrimSpace(string(b))
	level, msg := zapcore.InfoLevel, line
	for prefix, l := range map[string]zapcore.Level{
		"[DEBUG] ": zapcore.DebugLevel, "[INFO] ": zapcore.InfoLevel,
		"[WARN] ": zapcore.WarnLevel, "[ERR] ": zapcore.ErrorLevel,
	} {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			level, msg = l, rest
			break
		}
	}
	if kind, noise := memberlistNoise(msg); noise && w.noise != nil {
		w.noise.add("memberlist", kind, "", time.Now())
		level = zapcore.DebugLevel
	}
	if ce := w.log.Check(level, msg); ce != nil {
		ce.Write()
	}
	return len(b), nil
}
