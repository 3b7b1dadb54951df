package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// devJWTSecret signs tokens when TICKETBLITZ_JWT_SECRET is not set. It is public:
// serve logs a loud warning while it is in use.
const devJWTSecret = "ticketblitz-dev-secret-do-not-use-in-production"

// config is every setting of the server. Each flag falls back to an environment
// variable (API.md's table), then to its default.
type config struct {
	HTTPAddr         string
	PostgresURL      string
	PostgresPool     int
	RedisURL         string
	KafkaBrokers     []string
	NodeName         string
	ClusterBind      string
	ClusterJoin      []string
	ClusterAdvertise string
	ClusterKey       string
	RemoteAddr       string
	JWTSecret        string
	DevTokens        bool
	HoldTTL          time.Duration
	RateLimit        string
	Strategy         string
	SeedDemo         bool
	PassivateAfter   time.Duration
	LogLevel         string
	LogFormat        string
	ShutdownGrace    time.Duration
	DrainDelay       time.Duration
	PprofAddr        string
}

// flagEnv pairs a flag with its environment variable.
type flagEnv struct {
	flag, env string
}

// configVars lists every flag and its variable.
func configVars() []flagEnv {
	return []flagEnv{
		{"http-addr", "TICKETBLITZ_HTTP_ADDR"},
		{"postgres-url", "TICKETBLITZ_POSTGRES_URL"},
		{"postgres-pool", "TICKETBLITZ_POSTGRES_POOL"},
		{"redis-url", "TICKETBLITZ_REDIS_URL"},
		{"kafka-brokers", "TICKETBLITZ_KAFKA_BROKERS"},
		{"node-name", "TICKETBLITZ_NODE_NAME"},
		{"cluster-bind", "TICKETBLITZ_CLUSTER_BIND"},
		{"cluster-join", "TICKETBLITZ_CLUSTER_JOIN"},
		{"cluster-advertise", "TICKETBLITZ_CLUSTER_ADVERTISE"},
		{"cluster-key", "TICKETBLITZ_CLUSTER_KEY"},
		{"remote-addr", "TICKETBLITZ_REMOTE_ADDR"},
		{"jwt-secret", "TICKETBLITZ_JWT_SECRET"},
		{"dev-tokens", "TICKETBLITZ_DEV_TOKENS"},
		{"hold-ttl", "TICKETBLITZ_HOLD_TTL"},
		{"rate-limit", "TICKETBLITZ_RATE_LIMIT"},
		{"strategy", "TICKETBLITZ_STRATEGY"},
		{"seed-demo", "TICKETBLITZ_SEED_DEMO"},
		{"passivate-after", "TICKETBLITZ_PASSIVATE_AFTER"},
		{"log-level", "TICKETBLITZ_LOG_LEVEL"},
		{"log-format", "TICKETBLITZ_LOG_FORMAT"},
		{"shutdown-grace", "TICKETBLITZ_SHUTDOWN_GRACE"},
		{"drain-delay", "TICKETBLITZ_DRAIN_DELAY"},
		{"pprof-addr", "TICKETBLITZ_PPROF_ADDR"},
	}
}

// registerConfigFlags declares the server's flags on fs.
func registerConfigFlags(fs *flag.FlagSet) {
	fs.String("http-addr", ":8080", "HTTP, websockets, web page and metrics address")
	fs.String("postgres-url", "postgres://postgres@127.0.0.1:5432/ticketblitz?sslmode=disable", "PostgreSQL URL; the database is created if missing and migrated on start")
	fs.Int("postgres-pool", 32, "most PostgreSQL connections this node opens")
	fs.String("redis-url", "redis://127.0.0.1:6379/0", "Redis URL")
	fs.String("kafka-brokers", "", "comma-separated Kafka brokers; empty runs an in-process Kafka-protocol broker")
	fs.String("node-name", "", "this node's name (default hostname + HTTP port)")
	fs.String("cluster-bind", "127.0.0.1:7946", "memberlist gossip address")
	fs.String("cluster-join", "", "comma-separated seed nodes to join; empty starts a new cluster")
	fs.String("cluster-advertise", "", "ip:port other nodes reach this node's gossip and actors at, when cluster-bind is 0.0.0.0 or behind NAT")
	fs.String("cluster-key", "", "optional gossip encryption key, base64 of 16, 24 or 32 bytes")
	fs.String("remote-addr", "", "actor remoting address host:port (default: the cluster bind host, a free port)")
	fs.String("jwt-secret", "", "HS256 secret for tokens (default: a public development secret, with a warning)")
	fs.Bool("dev-tokens", true, "enable POST /api/v1/auth/token for fans")
	fs.Duration("hold-ttl", 10*time.Minute, "how long a hold lives before it expires")
	fs.String("rate-limit", "100/min", "requests per user, shared by all nodes")
	fs.String("strategy", "actor", "actor, or lock (the classic design, for comparison)")
	fs.Bool("seed-demo", true, "create a demo event when there is none")
	fs.Duration("passivate-after", 2*time.Minute, "stop idle sections after this long")
	fs.String("log-level", "info", "debug, info, warn or error")
	fs.String("log-format", "console", "console or json")
	fs.Duration("shutdown-grace", 15*time.Second, "how long a shutdown may drain")
	fs.Duration("drain-delay", time.Second, "after POST /api/v1/cluster/drain, how long the node keeps serving with readyz at 503 before it shuts down")
	fs.String("pprof-addr", "", "serve Go's pprof profiles on this address (default: off)")
}

// parseConfig parses args; flags not given fall back to getenv, then to defaults.
func parseConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (config, error) {
	registerConfigFlags(fs)
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, v := range configVars() {
		if set[v.flag] {
			continue
		}
		if val := getenv(v.env); val != "" {
			if err := fs.Set(v.flag, val); err != nil {
				return config{}, fmt.Errorf("%s: %w", v.env, err)
			}
		}
	}
	get := func(name string) string { return fs.Lookup(name).Value.String() }
	dur := func(name string) time.Duration {
		return fs.Lookup(name).Value.(flag.Getter).Get().(time.Duration)
	}
	boolean := func(name string) bool { return fs.Lookup(name).Value.(flag.Getter).Get().(bool) }
	c := config{
		HTTPAddr:         get("http-addr"),
		PostgresURL:      get("postgres-url"),
		PostgresPool:     fs.Lookup("postgres-pool").Value.(flag.Getter).Get().(int),
		RedisURL:         get("redis-url"),
		KafkaBrokers:     splitList(get("kafka-brokers")),
		NodeName:         get("node-name"),
		ClusterBind:      get("cluster-bind"),
		ClusterJoin:      splitList(get("cluster-join")),
		ClusterAdvertise: get("cluster-advertise"),
		ClusterKey:       get("cluster-key"),
		RemoteAddr:       get("remote-addr"),
		JWTSecret:        get("jwt-secret"),
		DevTokens:        boolean("dev-tokens"),
		HoldTTL:          dur("hold-ttl"),
		RateLimit:        get("rate-limit"),
		Strategy:         get("strategy"),
		SeedDemo:         boolean("seed-demo"),
		PassivateAfter:   dur("passivate-after"),
		LogLevel:         get("log-level"),
		LogFormat:        get("log-format"),
		ShutdownGrace:    dur("shutdown-grace"),
		DrainDelay:       dur("drain-delay"),
		PprofAddr:        get("pprof-addr"),
	}
	if c.NodeName == "" {
		host, _ := os.Hostname()
		_, port, _ := net.SplitHostPort(c.HTTPAddr)
		c.NodeName = host + "-" + port
	}
	return c, c.validate()
}

func (c config) validate() error {
	var errs []error
	if c.Strategy != "actor" && c.Strategy != "lock" {
		errs = append(errs, fmt.Errorf("strategy %q: want actor or lock", c.Strategy))
	}
	if c.PostgresPool < 4 {
		errs = append(errs, fmt.Errorf("postgres-pool %d: at least 4", c.PostgresPool))
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
	if c.LogFormat != "console" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q: want console or json", c.LogFormat))
	}
	return errors.Join(errs...)
}

// redacted returns the configuration as log fields, with secrets hidden.
func (c config) redacted() map[string]string {
	secret := func(s string) string {
		if s == "" {
			return "(unset)"
		}
		return "(set, hidden)"
	}
	return map[string]string{
		"http_addr": c.HTTPAddr, "postgres_url": redactURL(c.PostgresURL), "postgres_pool": strconv.Itoa(c.PostgresPool), "redis_url": redactURL(c.RedisURL),
		"kafka_brokers": strings.Join(c.KafkaBrokers, ","), "node_name": c.NodeName,
		"cluster_bind": c.ClusterBind, "cluster_join": strings.Join(c.ClusterJoin, ","), "cluster_advertise": c.ClusterAdvertise,
		"cluster_key": secret(c.ClusterKey), "remote_addr": c.RemoteAddr, "jwt_secret": secret(c.JWTSecret),
		"dev_tokens": strconv.FormatBool(c.DevTokens), "hold_ttl": c.HoldTTL.String(), "rate_limit": c.RateLimit,
		"strategy": c.Strategy, "seed_demo": strconv.FormatBool(c.SeedDemo),
		"passivate_after": c.PassivateAfter.String(), "log_level": c.LogLevel, "pprof_addr": c.PprofAddr,
		"shutdown_grace": c.ShutdownGrace.String(), "drain_delay": c.DrainDelay.String(),
	}
}

// redactURL hides a URL's password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
