package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/fdlimit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
)

// runSubscribers is the websocket companion of a large flash sale (see
// scenario.RunSubscribers); flash starts it and talks to it over stdin and stdout.
func runSubscribers(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("blitzload subscribers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c scenario.SubscribersConfig
	fs.StringVar(&c.Target, "target", "", "server URL")
	fs.StringVar(&c.EventID, "event", "", "event to subscribe to")
	fs.IntVar(&c.Count, "count", 0, "subscriptions")
	fs.IntVar(&c.Sample, "sample", 20, "subscriptions that report the seats they see turn held")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	limit, err := fdlimit.Raise()
	if err != nil {
		fmt.Fprintf(stderr, "blitzload subscribers: %v; going on with %s\n", err, limit)
	}
	if err := limit.Check(c.Count); err != nil {
		return err
	}
	return scenario.RunSubscribers(ctx, c, stdin, stdout)
}
