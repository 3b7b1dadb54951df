// Command blitzload is TicketBlitz's fan army: it loads a server through the public
// API only (flash sales, steady and mixed traffic, the hot-section benchmark), audits
// every run from the fans' own records, and runs the side-by-side benchmark of the
// actor, lock and pg strategies (blitzload bench).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
