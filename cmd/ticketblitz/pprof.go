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

// Sampling of the block and mutex profiles while pprof is served: a blocking event is
// recorded about once per pprofBlockRate of time spent blocked, one contended mutex
// in pprofMutexFraction. Without a pprof address neither is sampled.
const (
	pprofBlockRate     = 100 * time.Microsecond
	pprofMutexFraction = 20
)

// servePprof serves Go's profiles on their own address, apart from the public API,
// until ctx ends. It turns on the block and mutex profiles, which cost nothing while
// no address is configured.
func servePprof(ctx context.Context, addr string, log *zap.Logger) error {
	runtime.SetBlockProfileRate(int(pprofBlockRate.Nanoseconds()))
	runtime.SetMutexProfileFraction(pprofMutexFraction)
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
	log.Info("pprof listening", zap.String("addr", ln.Addr().String()))
	if err := srv.Serve(ln); err != nil && !errors.Is(err, nethttp.ErrServerClosed) {
		return err
	}
	return nil
}
