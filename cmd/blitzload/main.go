// Command blitzload is TicketBlitz's fan army: it loads a server through the public
// API only (flash sales, steady and mixed traffic, the hot-section benchmark), audits
// every run from the fans' own records, and runs the side-by-side benchmark of the
// actor, lock and pg strategies (blitzload bench).
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	if p, ok := gcPercent(os.Getenv); ok {
		debug.SetGCPercent(p)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// defaultGCPercent is the collector's target unless GOGC says otherwise: the load
// client shares the machine with the server it measures, and with 10,000 fans a
// collection at every doubling of the heap cost it a tenth of its CPU; memory is the
// cheaper of the two (about twice the peak resident size of GOGC=100).
const defaultGCPercent = 400

// gcPercent is the GC percentage to set: defaultGCPercent, unless GOGC is set (then
// the runtime has read it already and ok is false).
func gcPercent(getenv func(string) string) (percent int, ok bool) {
	if getenv("GOGC") != "" {
		return 0, false
	}
	return defaultGCPercent, true
}
