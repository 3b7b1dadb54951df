package main

import (
	"flag"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// parseTestConfig parses args with env as the whole environment.
func parseTestConfig(args []string, env map[string]string) (config, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return parseConfig(fs, args, func(k string) string { return env[k] })
}

func TestConfigFlagBeatsVariableBeatsDefault(t *testing.T) {
	for _, tc := range []struct {
		kind, flag, env    string
		flagVal, envVal    string
		get                func(config) any
		def, fromEnv, from any
	}{
		{"string", "http-addr", "TICKETBLITZ_HTTP_ADDR", "127.0.0.1:9001", "127.0.0.1:9002",
			func(c config) any { return c.HTTPAddr }, ":8080", "127.0.0.1:9002", "127.0.0.1:9001"},
		{"int", "postgres-pool", "TICKETBLITZ_POSTGRES_POOL", "8", "16",
			func(c config) any { return c.PostgresPool }, 32, 16, 8},
		{"bool", "dev-tokens", "TICKETBLITZ_DEV_TOKENS", "true", "false",
			func(c config) any { return c.DevTokens }, true, false, true},
		{"duration", "hold-ttl", "TICKETBLITZ_HOLD_TTL", "30s", "5m",
			func(c config) any { return c.HoldTTL }, 10 * time.Minute, 5 * time.Minute, 30 * time.Second},
		{"list", "cluster-join", "TICKETBLITZ_CLUSTER_JOIN", "10.0.0.1:7946", "10.0.0.2:7946, 10.0.0.3:7946",
			func(c config) any { return c.ClusterJoin }, []string(nil), []string{"10.0.0.2:7946", "10.0.0.3:7946"}, []string{"10.0.0.1:7946"}},
		{"secret", "jwt-secret", "TICKETBLITZ_JWT_SECRET", "from-flag", "from-env",
			func(c config) any { return c.JWTSecret }, "", "from-env", "from-flag"},
		{"url", "redis-url", "TICKETBLITZ_REDIS_URL", "redis://a:6379/1", "redis://b:6379/2",
			func(c config) any { return c.RedisURL }, "redis://127.0.0.1:6379/0", "redis://b:6379/2", "redis://a:6379/1"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			if got := envName(tc.flag); got != tc.env {
				t.Fatalf("envName(%q) = %q, want %q", tc.flag, got, tc.env)
			}
			env := map[string]string{tc.env: tc.envVal}
			for _, step := range []struct {
				name string
				args []string
				env  map[string]string
				want any
			}{
				{"default", nil, nil, tc.def},
				{"variable over default", nil, env, tc.fromEnv},
				{"flag over variable", []string{"-" + tc.flag + "=" + tc.flagVal}, env, tc.from},
				{"flag alone", []string{"-" + tc.flag + "=" + tc.flagVal}, nil, tc.from},
			} {
				c, err := parseTestConfig(step.args, step.env)
				if err != nil {
					t.Fatalf("%s: %v", step.name, err)
				}
				if got := tc.get(c); !reflect.DeepEqual(got, step.want) {
					t.Errorf("%s: %s = %#v, want %#v", step.name, tc.flag, got, step.want)
				}
			}
		})
	}
}

// apiVariables are the variables of the public contract's configuration table that the server
// implements and the ones it adds (docs/configuration.md lists them all), each with a
// valid value other than its default.
var apiVariables = map[string]string{
	"TICKETBLITZ_HTTP_ADDR":              "127.0.0.1:9000",
	"TICKETBLITZ_POSTGRES_URL":           "postgres://postgres@127.0.0.1:5432/other?sslmode=disable",
	"TICKETBLITZ_POSTGRES_POOL":          "8",
	"TICKETBLITZ_REDIS_URL":              "redis://127.0.0.1:6379/3",
	"TICKETBLITZ_KAFKA_BROKERS":          "k1:9092,k2:9092",
	"TICKETBLITZ_NODE_NAME":              "n1",
	"TICKETBLITZ_CLUSTER_BIND":           "127.0.0.1:7000",
	"TICKETBLITZ_CLUSTER_JOIN":           "127.0.0.1:7001",
	"TICKETBLITZ_CLUSTER_ADVERTISE":      "10.0.0.1:7000",
	"TICKETBLITZ_CLUSTER_KEY":            "MDEyMzQ1Njc4OWFiY2RlZg==",
	"TICKETBLITZ_REMOTE_ADDR":            "127.0.0.1:7100",
	"TICKETBLITZ_JWT_SECRET":             "s3cret",
	"TICKETBLITZ_DEV_TOKENS":             "false",
	"TICKETBLITZ_HOLD_TTL":               "2m",
	"TICKETBLITZ_RATE_LIMIT":             "10/s",
	"TICKETBLITZ_STRATEGY":               "lock",
	"TICKETBLITZ_SEED_DEMO":              "false",
	"TICKETBLITZ_PASSIVATE_AFTER":        "30s",
	"TICKETBLITZ_MAILBOX_LIMIT":          "500",
	"TICKETBLITZ_QUEUE_WS_UPGRADES":      "8",
	"TICKETBLITZ_PAYMENT_LATENCY":        "2s",
	"TICKETBLITZ_LOG_LEVEL":              "debug",
	"TICKETBLITZ_LOG_FORMAT":             "json",
	"TICKETBLITZ_SHUTDOWN_GRACE":         "5s",
	"TICKETBLITZ_DRAIN_DELAY":            "3s",
	"TICKETBLITZ_PPROF_ADDR":             "127.0.0.1:6060",
	"TICKETBLITZ_PPROF_CONTENTION":       "true",
	"TICKETBLITZ_CLASSROOM":              "true",
	"TICKETBLITZ_CLUSTER_PROBE_INTERVAL": "250ms",
	"TICKETBLITZ_CLUSTER_REFUSAL_PROBE":  "false",
	"TICKETBLITZ_DEV_CONTROL":            "127.0.0.1:7200",
	"TICKETBLITZ_REDIS_PREFIX":           "shop1:",

	"TICKETBLITZ_IDEMPOTENCY_RETENTION":   "48h",
	"TICKETBLITZ_OUTBOX_RETENTION":        "10m",
	"TICKETBLITZ_NOTIFICATIONS_RETENTION": "0",
	"TICKETBLITZ_ATTEMPTS_LOG":            "false",
	"TICKETBLITZ_ATTEMPTS_RETENTION":      "1h",
	"TICKETBLITZ_QUEUE_TICKET_RETENTION":  "2h",
	"TICKETBLITZ_GC_PERCENT":              "200",
	"TICKETBLITZ_MEMORY_LIMIT_MIB":        "2048",
	"TICKETBLITZ_BROKER_RETENTION":        "5m",
	"TICKETBLITZ_CLASSROOM_PAUSE_LIMIT":   "30s",
}

func TestConfigAcceptsEveryDocumentedVariable(t *testing.T) {
	defaults, err := parseTestConfig(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, val := range apiVariables {
		c, err := parseTestConfig(nil, map[string]string{name: val})
		if err != nil {
			t.Errorf("%s=%s: %v", name, val, err)
			continue
		}
		if reflect.DeepEqual(c, defaults) {
			t.Errorf("%s=%s: the configuration did not change", name, val)
		}
	}
	all, err := parseTestConfig(nil, apiVariables)
	if err != nil {
		t.Fatalf("every variable at once: %v", err)
	}
	if all.NodeName != "n1" || all.PostgresPool != 8 || !slices.Equal(all.KafkaBrokers, []string{"k1:9092", "k2:9092"}) {
		t.Errorf("every variable at once: %+v", all)
	}

	var declared []string
	for _, s := range serverSettings() {
		declared = append(declared, s.Env)
	}
	var documented []string
	for name := range apiVariables {
		documented = append(documented, name)
	}
	slices.Sort(declared)
	slices.Sort(documented)
	if !slices.Equal(declared, documented) {
		t.Errorf("declared variables %v\nwant the documented %v", declared, documented)
	}
}

func TestConfigLoggedHidesSecrets(t *testing.T) {
	c, err := parseTestConfig([]string{"-cluster-key=a2V5LWtleS1rZXkta2V5LQ=="}, map[string]string{
		"TICKETBLITZ_JWT_SECRET":   "jwt-very-secret",
		"TICKETBLITZ_POSTGRES_URL": "postgres://tb:pg-password@db:5432/tb?sslmode=disable",
		"TICKETBLITZ_REDIS_URL":    "redis://:redis-password@cache:6379/0",
	})
	if err != nil {
		t.Fatal(err)
	}
	logged := c.redacted()
	for k, v := range logged {
		for _, secret := range []string{"jwt-very-secret", "a2V5LWtleS1rZXkta2V5LQ==", "pg-password", "redis-password"} {
			if strings.Contains(v, secret) {
				t.Errorf("%s=%q shows a secret", k, v)
			}
		}
	}
	want := map[string]string{
		"jwt_secret":    "(set, hidden)",
		"cluster_key":   "(set, hidden)",
		"postgres_url":  "postgres://tb:xxxxx@db:5432/tb?sslmode=disable",
		"redis_url":     "redis://:xxxxx@cache:6379/0",
		"http_addr":     ":8080",
		"postgres_pool": "32",
		"dev_tokens":    "true",
		"hold_ttl":      "10m0s",
		"kafka_brokers": "",
	}
	for k, v := range want {
		if logged[k] != v {
			t.Errorf("logged %s = %q, want %q", k, logged[k], v)
		}
	}
	if len(logged) != len(serverSettings()) {
		t.Errorf("logged %d settings, want one per flag (%d)", len(logged), len(serverSettings()))
	}

	unset, err := parseTestConfig(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := unset.redacted()["jwt_secret"]; got != "(unset)" {
		t.Errorf("unset jwt_secret logged as %q", got)
	}

	var secrets []string
	for _, s := range serverSettings() {
		if s.Secret {
			secrets = append(secrets, s.Flag)
		}
	}
	if !slices.Equal(secrets, []string{"cluster-key", "jwt-secret"}) {
		t.Errorf("secret settings %v, want cluster-key and jwt-secret", secrets)
	}
}

func TestConfigBadValueNamesItsVariable(t *testing.T) {
	for _, tc := range []struct{ env, val string }{
		{"TICKETBLITZ_POSTGRES_POOL", "many"},
		{"TICKETBLITZ_DEV_TOKENS", "maybe"},
		{"TICKETBLITZ_SEED_DEMO", "sometimes"},
		{"TICKETBLITZ_HOLD_TTL", "soon"},
		{"TICKETBLITZ_DRAIN_DELAY", "1 second"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			_, err := parseTestConfig(nil, map[string]string{tc.env: tc.val})
			if err == nil || !strings.Contains(err.Error(), tc.env) {
				t.Fatalf("err = %v, want one naming %s", err, tc.env)
			}
			// The flag wins, so the variable's bad value is never read.
			if _, err := parseTestConfig([]string{"-" + flagOf(t, tc.env) + "=" + apiVariables[tc.env]}, map[string]string{tc.env: tc.val}); err != nil {
				t.Fatalf("with the flag given: %v", err)
			}
		})
	}
}

// flagOf returns the flag whose variable is env.
func flagOf(t *testing.T, env string) string {
	t.Helper()
	for _, s := range serverSettings() {
		if s.Env == env {
			return s.Flag
		}
	}
	t.Fatalf("no flag reads %s", env)
	return ""
}

func TestConfigValidationStillApplies(t *testing.T) {
	_, err := parseTestConfig([]string{"-strategy=other", "-postgres-pool=2", "-cluster-probe-interval=10ms", "-gc-percent=5", "-memory-limit-mib=-1", "-queue-ws-upgrades=-1"},
		map[string]string{"TICKETBLITZ_LOG_FORMAT": "xml"})
	for _, want := range []string{"strategy", "postgres-pool", "log-format", "cluster-probe-interval", "gc-percent", "memory-limit-mib", "queue-ws-upgrades"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want one about %s", err, want)
		}
	}
}

func TestConfigSettingsListEveryFlag(t *testing.T) {
	list := serverSettings()
	byFlag := make(map[string]setting, len(list))
	for _, s := range list {
		if s.Usage == "" || s.Type == "" {
			t.Errorf("%s: no usage or type: %+v", s.Flag, s)
		}
		if strings.Contains(s.Usage, "`") {
			t.Errorf("%s: usage keeps its back quotes: %q", s.Flag, s.Usage)
		}
		byFlag[s.Flag] = s
	}
	for flagName, want := range map[string]setting{
		"http-addr":    {Flag: "http-addr", Env: "TICKETBLITZ_HTTP_ADDR", Default: ":8080", Type: "string"},
		"postgres-url": {Flag: "postgres-url", Env: "TICKETBLITZ_POSTGRES_URL", Default: "postgres://postgres@127.0.0.1:5432/ticketblitz?sslmode=disable", Type: "URL"},
		"jwt-secret":   {Flag: "jwt-secret", Env: "TICKETBLITZ_JWT_SECRET", Default: "", Type: "secret", Secret: true},
		"dev-tokens":   {Flag: "dev-tokens", Env: "TICKETBLITZ_DEV_TOKENS", Default: "true", Type: "bool"},
		"hold-ttl":     {Flag: "hold-ttl", Env: "TICKETBLITZ_HOLD_TTL", Default: "10m0s", Type: "duration"},
	} {
		got := byFlag[flagName]
		got.Usage = ""
		if got != want {
			t.Errorf("%s: %+v, want %+v", flagName, got, want)
		}
	}
}

func TestConfigUsageNamesVariables(t *testing.T) {
	var out strings.Builder
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(&out)
	if _, err := parseConfig(fs, []string{"-h"}, func(string) string { return "" }); err != flag.ErrHelp {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for name := range apiVariables {
		if !strings.Contains(out.String(), name) {
			t.Errorf("usage does not mention %s:\n%s", name, out.String())
		}
	}
}

func TestRedisPrefixDefaultsToTheDatabase(t *testing.T) {
	for url, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/ticketblitz?sslmode=disable": "tb:ticketblitz:",
		"postgres://u:p@db.example:5432/sale_2?sslmode=require":          "tb:sale_2:",
		"postgres://postgres@127.0.0.1:5432":                             "tb:",
	} {
		c, err := parseTestConfig(nil, map[string]string{"TICKETBLITZ_POSTGRES_URL": url})
		if err != nil {
			t.Fatal(err)
		}
		if c.RedisPrefix != want {
			t.Errorf("prefix for %s = %q, want %q", url, c.RedisPrefix, want)
		}
	}
	c, err := parseTestConfig([]string{"--redis-prefix", "x:"}, nil)
	if err != nil || c.RedisPrefix != "x:" {
		t.Errorf("--redis-prefix x: gave %q, %v", c.RedisPrefix, err)
	}
}
