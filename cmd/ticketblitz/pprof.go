package main

import (
	"context"
	"errors"
	"net"
	nethttp "net/http"
	"net/http/pprof"
	"runtime"
	"time"

	"go.uber.org/zap"
)

// Sampling of the block and mutex profiles when pprof-contention is set: a blocking
// event is recorded about once per pprofBlockRate of time spent blocked, one contended
// mutex in pprofMutexFraction. Otherwise neither is sampled: recording a blocking
// event's stack costs CPU on every wait, which would show in the CPU being measured.
const (
	pprofBlockRate     = 100 * time.Microsecond
	pprofMutexFraction = 20
)

// servePprof serves Go's profiles on their own address, apart from the public API,
// until ctx ends. With contention it also turns on the block and mutex profiles.
func servePprof(ctx context.Context, addr string, contention bool, log *zap.Logger) error {
	if contention {
		runtime.SetBlockProfileRate(int(pprofBlockRate.Nanoseconds()))
		runtime.SetMutexProfileFraction(pprofMutexFraction)
	}
	mux := nethttp.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &nethttp.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Info("pprof listening", zap.String("addr", ln.Addr().String()), zap.Bool("contention", contention))
	if err := srv.Serve(ln); err != nil && !errors.Is(err, nethttp.ErrServerClosed) {
		return err
	}
	return nil
}
