// Command ticketblitz is the TicketBlitz seat-reservation server and its tools:
// serve (the default), migrate, token, broker, cluster status, dev, verify, replay,
// docs config and version.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ticketblitz:", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand. It reads no global state: arguments, environment
// and output are passed in, so tests can run the whole program in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout)
	case "migrate":
		return migrate(ctx, args, getenv, stdout)
	case "token":
		return token(args, getenv, stdout)
	case "broker":
		return broker(ctx, args, getenv, stdout)
	case "cluster":
		return clusterCommand(ctx, args, getenv, stdout)
	case "dev":
		return dev(ctx, args, getenv, stdout)
	case "verify":
		return verify(ctx, args, getenv, stdout)
	case "replay":
		return replay(ctx, args, getenv, stdout)
	case "docs":
		return docsCommand(args, stdout)
	case "version":
		_, err := fmt.Fprintln(stdout, "ticketblitz", version)
		return err
	case "help", "-h", "--help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage: ticketblitz [command] [flags]

commands:
  serve            run the server (the default)
  migrate          create the database if missing and apply migrations
  token            print a JWT: token --user ID [--role admin] [--ttl 1h]
  broker           run the in-process Kafka-protocol broker: broker --addr HOST:PORT
  cluster status   show the cluster's members, as seen by a node's HTTP API
  dev              run a local cluster: a broker and --nodes N (default 3) nodes on loopback
  verify           check an event's record: verify --event ID [--brokers …]; exits non-zero naming the first broken link
  replay           re-decide a section's recorded commands: replay --event ID --section S; exits non-zero on the first decision that differs
  docs config      print the configuration reference (docs/configuration.md)
  version          print the version

Every flag falls back to an environment variable (TICKETBLITZ_…); run
"ticketblitz serve -h" for the list.
`
