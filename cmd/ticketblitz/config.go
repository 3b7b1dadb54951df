package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/cluster"

	"github.com/ticketblitz/ticketblitz/events"
)

// devJWTSecret signs tokens when TICKETBLITZ_JWT_SECRET is not set. It is public:
// serve logs a loud warning while it is in use.
const devJWTSecret = "ticketblitz-dev-secret-do-not-use-in-production"

// config is every setting of the server. declare binds each field to its flag; each
// flag falls back to its environment variable (envName; docs/configuration.md lists
// them all), then to its default.
type config struct {
	HTTPAddr         string
	PostgresURL      string
	PostgresPool     int
	RedisURL         string
	RedisPrefix      string
	KafkaBrokers     []string
	NodeName         string
	ClusterBind      string
	ClusterJoin      []string
	ClusterAdvertise string
	ClusterKey       string
	ClusterProbe     time.Duration
	ClusterRefusals  bool
	RemoteAddr       string
	JWTSecret        string
	DevTokens        bool
	HoldTTL          time.Duration
	RateLimit        string
	Strategy         string
	SeedDemo         bool
	PassivateAfter   time.Duration
	MailboxLimit     int
	QueueWSUpgrades  int
	PaymentLatency   time.Duration
	LogLevel         string
	LogFormat        string
	ShutdownGrace    time.Duration
	DrainDelay       time.Duration
	PprofAddr        string
	PprofContention  bool
	Classroom        bool
	ClassroomPause   time.Duration
	DevControl       string

	IdempotencyRetention   time.Duration
	OutboxRetention        time.Duration
	BrokerRetention        time.Duration
	NotificationsRetention time.Duration
	AttemptsLog            bool
	AttemptsRetention      time.Duration
	QueueTicketRetention   time.Duration
	GCPercent              int
	MemoryLimitMiB         int
}

// declare binds every field of c to its flag on fs and sets it to its default. It is
// the one definition of the server's settings: parsing, the environment fallback, the
// logged configuration and settings' listing all walk the flags it declares.
func (c *config) declare(fs *flag.FlagSet) {
	fs.StringVar(&c.HTTPAddr, "http-addr", ":8080", "HTTP, websockets, web page and metrics address")
	urlVar(fs, &c.PostgresURL, "postgres-url", "postgres://postgres@127.0.0.1:5432/ticketblitz?sslmode=disable", "PostgreSQL `URL`; the database is created if missing and migrated on start")
	fs.IntVar(&c.PostgresPool, "postgres-pool", 32, "most PostgreSQL connections this node opens")
	urlVar(fs, &c.RedisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis `URL`")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", "", "starts every Redis key the cluster writes (default tb:<database name>:, so clusters on different databases never share leases or rate limits)")
	listVar(fs, &c.KafkaBrokers, "kafka-brokers", nil, "comma-separated Kafka `brokers`; empty runs an in-process Kafka-protocol broker")
	fs.DurationVar(&c.BrokerRetention, "broker-retention", events.DefaultBrokerRetention, "how long the in-process broker (kafka-brokers empty) keeps records, at most 8 MiB a partition, so its memory stays bounded; negative keeps them all")
	fs.StringVar(&c.NodeName, "node-name", "", "this node's name (default hostname + HTTP port)")
	fs.StringVar(&c.ClusterBind, "cluster-bind", "127.0.0.1:7946", "memberlist gossip address")
	listVar(fs, &c.ClusterJoin, "cluster-join", nil, "comma-separated seed `nodes` to join; empty starts a new cluster")
	fs.StringVar(&c.ClusterAdvertise, "cluster-advertise", "", "ip:port other nodes reach this node's gossip and actors at, when cluster-bind is 0.0.0.0 or behind NAT")
	secretVar(fs, &c.ClusterKey, "cluster-key", "optional gossip encryption `key`, base64 of 16, 24 or 32 bytes")
	fs.DurationVar(&c.ClusterProbe, "cluster-probe-interval", cluster.DefaultProbeInterval, "how often a node probes another member: a killed node is declared dead after about 5 intervals (2 s by default), and so is one that stalls that long (GC, overloaded host); lower detects sooner and declares more stalled nodes dead (50ms to 10s)")
	fs.BoolVar(&c.ClusterRefusals, "cluster-refusal-probe", true, "count a member lost as soon as its actor remoting port refuses two connections in a row (a killed process on a live host: detected in about 0.3 s instead of 2 s); turn off where a firewall rejects connections to live members rather than dropping them")
	fs.StringVar(&c.RemoteAddr, "remote-addr", "", "actor remoting address host:port (default: the cluster bind host, a free port)")
	declareJWTSecret(fs, &c.JWTSecret)
	fs.BoolVar(&c.DevTokens, "dev-tokens", true, "enable POST /api/v1/auth/token for fans")
	fs.DurationVar(&c.HoldTTL, "hold-ttl", 10*time.Minute, "how long a hold lives before it expires")
	fs.StringVar(&c.RateLimit, "rate-limit", "100/min", "requests per user, shared by all nodes")
	fs.StringVar(&c.Strategy, "strategy", "actor", "actor; or, for comparison, a classic design: lock (Redis seat locks, version-checked rows) or pg (PostgreSQL row locks only)")
	fs.BoolVar(&c.SeedDemo, "seed-demo", true, "create a demo event when there is none")
	fs.DurationVar(&c.PassivateAfter, "passivate-after", 2*time.Minute, "stop idle sections after this long")
	fs.IntVar(&c.MailboxLimit, "mailbox-limit", actors.DefaultMailboxLimit, "most messages waiting in one section actor's mailbox; a hold, release, extend, confirm or cancel that finds it full is answered 503 at once, undecided")
	fs.IntVar(&c.QueueWSUpgrades, "queue-ws-upgrades", 0, "most queue websocket upgrades (the ticket's lookup, the handshake and the first ticket) in progress at once on this node; the others wait their turn, so that a room's joins keep the cores while thousands of fans open their websockets (0: 16 per core)")
	fs.DurationVar(&c.PaymentLatency, "payment-latency", 0, "how long the simulated payment provider takes to answer each charge, like a real provider's round trip")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "console", "console or json")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 15*time.Second, "how long a shutdown may drain")
	fs.DurationVar(&c.DrainDelay, "drain-delay", time.Second, "after POST /api/v1/cluster/drain, how long the node keeps serving with readyz at 503 before it shuts down")
	fs.BoolVar(&c.Classroom, "classroom", false, "enable the teaching controls: pause, resume and step a section, and the fault switches of a dev cluster (admins only; ticketblitz dev turns it on)")
	fs.DurationVar(&c.ClassroomPause, "classroom-pause-limit", actors.DefaultPauseLimit, "longest a section stays paused in the classroom: it then resumes by itself and logs it, so a forgotten pause cannot freeze a sale")
	fs.StringVar(&c.DevControl, "dev-control", "", "host:port of the ticketblitz dev supervisor's control endpoint, which dev sets for its nodes: with classroom, the fault controls (kill, pause, start, drain a node, pause the broker, slow payments and the database) go through it")
	fs.StringVar(&c.PprofAddr, "pprof-addr", "", "serve Go's pprof profiles on this address (default: off)")
	fs.BoolVar(&c.PprofContention, "pprof-contention", false, "with pprof-addr, also sample the block and mutex profiles (where requests wait, not only where CPU goes); the sampling itself costs CPU, so leave it off when measuring CPU")
	fs.DurationVar(&c.IdempotencyRetention, "idempotency-retention", 24*time.Hour, "how long the first answer to an Idempotency-Key is kept; a request that reuses the key later is a new request (at least 10m; 0 keeps keys forever)")
	fs.DurationVar(&c.OutboxRetention, "outbox-retention", time.Hour, "how long an outbox record is kept after it was published; unpublished records always are (0 keeps published ones forever)")
	fs.DurationVar(&c.NotificationsRetention, "notifications-retention", 7*24*time.Hour, "how long the notifications log keeps each event it recorded (0 keeps them forever)")
	fs.BoolVar(&c.AttemptsLog, "attempts-log", true, "record every command a section actor decides, granted or refused, in the attempt log (seat history, verify, replay)")
	fs.DurationVar(&c.AttemptsRetention, "attempts-retention", 7*24*time.Hour, "how long the attempt log keeps each attempt (0 keeps them forever)")
	fs.DurationVar(&c.QueueTicketRetention, "queue-ticket-retention", time.Hour, "how long a waiting-room ticket is kept after its pass expired, reading expired, and a disabled room its queue; then the room forgets them (a read answers 404, its fan joins anew; a room enabled again starts empty) (0 keeps them)")
	fs.IntVar(&c.GCPercent, "gc-percent", 0, "the Go collector's pacing, as GOGC: a higher value collects less often, spending less CPU per request and more memory (0: GOGC when set, else 400, four times the runtime's 100; BENCHMARKS.md measures both)")
	fs.IntVar(&c.MemoryLimitMiB, "memory-limit-mib", 0, "soft cap on the process's memory in MiB, as GOMEMLIMIT: near it the collector runs as often as it must, whatever gc-percent says (0: GOMEMLIMIT when set, GOMEMLIMIT=off for none; else 90 % of the cgroup's memory limit, or of the machine's memory where the cgroup has none)")
}

// minIdempotencyRetention is the shortest idempotency retention but "forever" (0). A
// client retries one request for up to its retry horizon (45s by default) and a
// section keeps the answers of twice that in memory; a fan who retries by hand does so
// within minutes. A key deleted sooner would turn such a retry into a second request.
const minIdempotencyRetention = 10 * time.Minute

// jwtSecretFlag is the flag, shared by serve, token and cluster status, that holds the
// secret signing tokens.
const jwtSecretFlag = "jwt-secret"

// declareJWTSecret binds p to --jwt-secret on fs.
func declareJWTSecret(fs *flag.FlagSet, p *string) {
	secretVar(fs, p, jwtSecretFlag, "HS256 `secret` signing tokens (default: a public development secret, which serve warns about)")
}

// parseConfig declares the server's flags on fs, which must hold no others, and parses
// args; flags not given fall back to their variables read through getenv, then to their
// defaults.
func parseConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (config, error) {
	var c config
	c.declare(fs)
	fs.Usage = func() { printSettings(fs) }
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if err := fillFromEnv(fs, getenv, flagNames(fs)...); err != nil {
		return config{}, err
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = defaultRedisPrefix(c.PostgresURL)
	}
	if c.NodeName == "" {
		host, _ := os.Hostname()
		_, port, _ := net.SplitHostPort(c.HTTPAddr)
		c.NodeName = host + "-" + port
	}
	return c, c.validate()
}

// defaultRedisPrefix is "tb:<database name>:" for the database postgresURL names, or
// "tb:" when it names none.
func defaultRedisPrefix(postgresURL string) string {
	u, err := url.Parse(postgresURL)
	if db := strings.TrimPrefix(u.Path, "/"); err == nil && db != "" {
		return "tb:" + db + ":"
	}
	return "tb:"
}

func (c config) validate() error {
	var errs []error
	if c.Strategy != "actor" && c.Strategy != "lock" && c.Strategy != "pg" {
		errs = append(errs, fmt.Errorf("strategy %q: want actor, lock or pg", c.Strategy))
	}
	if c.PostgresPool < 4 {
		errs = append(errs, fmt.Errorf("postgres-pool %d: at least 4", c.PostgresPool))
	}
	if c.ClusterProbe < 50*time.Millisecond || c.ClusterProbe > 10*time.Second {
		errs = append(errs, fmt.Errorf("cluster-probe-interval %v: between 50ms and 10s", c.ClusterProbe))
	}
	if c.MailboxLimit < 1 {
		errs = append(errs, fmt.Errorf("mailbox-limit %d: at least 1", c.MailboxLimit))
	}
	if c.QueueWSUpgrades < 0 {
		errs = append(errs, fmt.Errorf("queue-ws-upgrades %d: negative", c.QueueWSUpgrades))
	}
	if c.ClassroomPause < time.Second {
		errs = append(errs, fmt.Errorf("classroom-pause-limit %v: at least 1s", c.ClassroomPause))
	}
	if c.HoldTTL < time.Second {
		errs = append(errs, fmt.Errorf("hold-ttl %v: at least 1s", c.HoldTTL))
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("http-addr %q: %w", c.HTTPAddr, err))
	}
	if _, _, err := net.SplitHostPort(c.ClusterBind); err != nil {
		errs = append(errs, fmt.Errorf("cluster-bind %q: %w", c.ClusterBind, err))
	}
	if c.DrainDelay < 0 {
		errs = append(errs, fmt.Errorf("drain-delay %v: negative", c.DrainDelay))
	}
	if c.PaymentLatency < 0 {
		errs = append(errs, fmt.Errorf("payment-latency %v: negative", c.PaymentLatency))
	}
	if c.IdempotencyRetention < 0 || (c.IdempotencyRetention > 0 && c.IdempotencyRetention < minIdempotencyRetention) {
		errs = append(errs, fmt.Errorf("idempotency-retention %v: at least %v, or 0 to keep keys forever", c.IdempotencyRetention, minIdempotencyRetention))
	}
	if c.OutboxRetention < 0 {
		errs = append(errs, fmt.Errorf("outbox-retention %v: negative (0 keeps published records forever)", c.OutboxRetention))
	}
	if c.NotificationsRetention < 0 {
		errs = append(errs, fmt.Errorf("notifications-retention %v: negative (0 keeps notifications forever)", c.NotificationsRetention))
	}
	if c.AttemptsRetention < 0 {
		errs = append(errs, fmt.Errorf("attempts-retention %v: negative (0 keeps attempts forever)", c.AttemptsRetention))
	}
	if c.QueueTicketRetention < 0 {
		errs = append(errs, fmt.Errorf("queue-ticket-retention %v: negative (0 keeps tickets)", c.QueueTicketRetention))
	}
	errs = append(errs, validateGCPacing(c)...)
	if c.LogFormat != "console" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q: want console or json", c.LogFormat))
	}
	return errors.Join(errs...)
}

// redacted returns the configuration as log fields, one per flag with "-" turned into
// "_" (http_addr), with secrets hidden and URLs' passwords masked.
func (c config) redacted() map[string]string {
	var shown config
	fs := flag.NewFlagSet("redacted", flag.ContinueOnError)
	shown.declare(fs)
	shown = c // the flags read shown's fields, which now hold c's values
	out := make(map[string]string)
	fs.VisitAll(func(f *flag.Flag) {
		out[strings.ReplaceAll(f.Name, "-", "_")] = loggedValue(f.Value)
	})
	return out
}
