package main

import (
	"flag"
	"time"

	"github.com/ticketblitz/ticketblitz/events"
)

// Each subcommand's flags are declared once, by its options' declare method, so that
// the command and the configuration reference (docs config) read the same flags.

// tokenOptions are the flags of "ticketblitz token".
type tokenOptions struct {
	user, role, secret string
	ttl                time.Duration
}

func (o *tokenOptions) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.user, "user", "", "user id (the token's sub)")
	fs.StringVar(&o.role, "role", "fan", "fan or admin")
	fs.DurationVar(&o.ttl, "ttl", time.Hour, "lifetime")
	declareJWTSecret(fs, &o.secret)
}

// brokerOptions are the flags of "ticketblitz broker".
type brokerOptions struct {
	addr, dataDir string
	retention     time.Duration
}

func (o *brokerOptions) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9092", "listen address host:port")
	fs.StringVar(&o.dataDir, "data-dir", "", "keep records in this folder across restarts (default: in memory)")
	fs.DurationVar(&o.retention, "retention", events.DefaultBrokerRetention, "how long records are kept, at most 8 MiB a partition (negative: all, for ever)")
}

// clusterStatusOptions are the flags of "ticketblitz cluster status".
type clusterStatusOptions struct {
	url, token, secret string
}

func (o *clusterStatusOptions) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "a node's base URL")
	fs.StringVar(&o.token, "token", "", "an admin JWT (default: one minted with the configured secret)")
	declareJWTSecret(fs, &o.secret)
}

// devOptions are the flags of "ticketblitz dev".
type devOptions struct {
	nodes, httpPort, gossipPort int
	broker                      string
}

func (o *devOptions) declare(fs *flag.FlagSet) {
	fs.IntVar(&o.nodes, "nodes", 3, "how many nodes")
	fs.IntVar(&o.httpPort, "http-port", 8080, "first node's HTTP port; node i uses http-port+i")
	fs.IntVar(&o.gossipPort, "gossip-port", 7946, "first node's memberlist port; node i uses gossip-port+i")
	fs.StringVar(&o.broker, "broker", "127.0.0.1:9092", "address of the shared Kafka-protocol broker this command runs")
}

// command describes one subcommand for the configuration reference.
type command struct {
	// Name is what is typed after ticketblitz: "serve", "cluster status".
	Name string
	// Synopsis is what the command does, in a sentence.
	Synopsis string
	// Declare declares its flags on a flag set; nil when it has none.
	Declare func(fs *flag.FlagSet)
	// FromEnv lists the flags that fall back to their environment variable; nil
	// means none, and allFlags every one.
	FromEnv []string
}

// allFlags in command.FromEnv means that every flag falls back to its variable.
const allFlags = "*"

// commands lists every subcommand run dispatches, in the order of the usage text.
func commands() []command {
	declareServer := func(fs *flag.FlagSet) { new(config).declare(fs) }
	return []command{
		{Name: "serve", Synopsis: "Runs the server: the default command.", Declare: declareServer, FromEnv: []string{allFlags}},
		{Name: "migrate", Synopsis: "Creates the database if it is missing and applies every migration, then exits. It reads the server's settings (only the PostgreSQL ones matter).", Declare: declareServer, FromEnv: []string{allFlags}},
		{Name: "token", Synopsis: "Prints a JWT signed with the server's secret; the token is the last word printed.", Declare: func(fs *flag.FlagSet) { new(tokenOptions).declare(fs) }, FromEnv: []string{jwtSecretFlag}},
		{Name: "broker", Synopsis: "Runs the in-process Kafka-protocol broker on its own, so that a local cluster shares one event stream that outlives any node.", Declare: func(fs *flag.FlagSet) { new(brokerOptions).declare(fs) }},
		{Name: "cluster status", Synopsis: "Shows the cluster's members and the sections active on each, as a node's HTTP API (`GET /api/v1/cluster`) sees them.", Declare: func(fs *flag.FlagSet) { new(clusterStatusOptions).declare(fs) }, FromEnv: []string{jwtSecretFlag}},
		{Name: "dev", Synopsis: "Runs a local cluster: a broker in this process and `--nodes` nodes as child processes on loopback, sharing one database. The nodes inherit the environment, so every server variable applies to them, except those dev sets per node: `TICKETBLITZ_NODE_NAME`, `TICKETBLITZ_HTTP_ADDR`, `TICKETBLITZ_CLUSTER_BIND`, `TICKETBLITZ_CLUSTER_JOIN` and `TICKETBLITZ_KAFKA_BROKERS`.", Declare: func(fs *flag.FlagSet) { new(devOptions).declare(fs) }},
		{Name: "verify", Synopsis: "Checks an event's record: reads its `section.changed` stream and the store, and exits non-zero naming the first broken link (a gap, a changed record or attempt, a store row that disagrees with the chain, a seat sold twice). Sections of the `lock` and `pg` strategies keep no chain.", Declare: func(fs *flag.FlagSet) { new(verifyOptions).declare(fs) }, FromEnv: []string{"postgres-url"}},
		{Name: "replay", Synopsis: "Decides a section's recorded commands again, in order, in a fresh in-memory section actor on the recorded clock, and exits non-zero naming the first decision that differs. The log must still start at attempt #1 (see `--attempts-retention`); a confirm's payment outcome is taken from the record.", Declare: func(fs *flag.FlagSet) { new(replayOptions).declare(fs) }, FromEnv: []string{"postgres-url", "hold-ttl"}},
		{Name: "docs config", Synopsis: "Prints this configuration reference, generated from the flags the code declares."},
		{Name: "version", Synopsis: "Prints the version."},
		{Name: "help", Synopsis: "Prints the list of commands."},
	}
}
