package bench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// Ref is one raw reference measurement.
type Ref struct {
	Name    string  `json:"name"`
	Command string  `json:"command"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	// Rows is the rows changed per second, for batched updates.
	Rows float64 `json:"rows_per_sec,omitempty"`
	// Missing says why there is no value ("not installed", an error).
	Missing string `json:"missing,omitempty"`
}

// Cell renders the value for a table.
func (r Ref) Cell() string {
	if r.Missing != "" {
		return r.Missing
	}
	s := fmt.Sprintf("%s %s", thousands(r.Value), r.Unit)
	if r.Rows > 0 {
		s += fmt.Sprintf(" (%s rows/s)", thousands(r.Rows))
	}
	return s
}

var (
	tpsLine   = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
	redisLine = regexp.MustCompile(`([0-9.]+) requests per second`)
)

// ParsePgbench returns the tps of pgbench's output.
func ParsePgbench(out string) (float64, error) {
	m := tpsLine.FindStringSubmatch(out)
	if m == nil {
		return 0, errors.New("pgbench printed no tps line")
	}
	return strconv.ParseFloat(m[1], 64)
}

// ParseRedisBenchmark returns the requests per second of redis-benchmark -q output.
func ParseRedisBenchmark(out string) (float64, error) {
	m := redisLine.FindAllStringSubmatch(out, -1)
	if m == nil {
		return 0, errors.New("redis-benchmark printed no requests per second")
	}
	return strconv.ParseFloat(m[len(m)-1][1], 64)
}

// RefConfig says how to measure the references.
type RefConfig struct {
	PostgresURL string
	RedisURL    string
	Duration    time.Duration
	Clients     int
	Threads     int
	RedisN      int
	RedisConns  int
	TempDir     string
}

// pgbench scripts: one random row per transaction, and 100 consecutive rows in one
// statement.
const (
	refRows      = 100000
	singleScript = "\\set id random(1, 100000)\nUPDATE blitz_rows SET v = v + 1 WHERE id = :id;\n"
	batchScript  = "\\set start random(1, 99901)\nUPDATE blitz_rows SET v = v + 1 WHERE id BETWEEN :start AND :start + 99;\n"
)

// PgbenchRefs measures single-row and 100-row update commits per second against a
// scratch database.
func PgbenchRefs(ctx context.Context, c RefConfig) []Ref {
	single := Ref{Name: "pgbench single-row UPDATE", Unit: "commits/s"}
	batch := Ref{Name: "pgbench 100-row UPDATE (one statement)", Unit: "commits/s"}
	missing := func(why string) []Ref {
		single.Missing, batch.Missing = why, why
		return []Ref{single, batch}
	}
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return missing("not installed")
	}
	db := fmt.Sprintf("tb_blitzload_pgbench_%d", os.Getpid())
	if err := serverproc.CreateDatabase(ctx, c.PostgresURL, db); err != nil {
		return missing("error: " + err.Error())
	}
	defer serverproc.DropDatabase(context.Background(), c.PostgresURL, db)
	if err := serverproc.Exec(ctx, c.PostgresURL, db,
		"CREATE TABLE blitz_rows (id int PRIMARY KEY, v bigint NOT NULL)",
		fmt.Sprintf("INSERT INTO blitz_rows SELECT g, 0 FROM generate_series(1, %d) g", refRows),
		"VACUUM ANALYZE blitz_rows"); err != nil {
		return missing("error: " + err.Error())
	}
	dsn, err := serverproc.DatabaseURL(c.PostgresURL, db)
	if err != nil {
		return missing("error: " + err.Error())
	}
	run := func(ref *Ref, script, file string) {
		path := filepath.Join(c.TempDir, file)
		if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
			ref.Missing = "error: " + err.Error()
			return
		}
		args := []string{"-n", "-c", strconv.Itoa(c.Clients), "-j", strconv.Itoa(c.Threads),
			"-T", strconv.Itoa(int(c.Duration.Seconds())), "-f", path, dsn}
		ref.Command = "pgbench " + strings.Join(args[:len(args)-2], " ") + " " + file
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		if err != nil {
			ref.Missing = fmt.Sprintf("error: %v: %s", err, lastLine(string(out)))
			return
		}
		tps, err := ParsePgbench(string(out))
		if err != nil {
			ref.Missing = "error: " + err.Error()
			return
		}
		ref.Value = tps
	}
	run(&single, singleScript, "single_row_update.sql")
	run(&batch, batchScript, "batch_100_update.sql")
	if batch.Missing == "" {
		batch.Rows = batch.Value * 100
	}
	return []Ref{single, batch}
}

// RedisRef measures SET NX operations per second with redis-benchmark, on one key it
// deletes afterwards.
func RedisRef(ctx context.Context, c RefConfig) Ref {
	ref := Ref{Name: "redis-benchmark SET NX", Unit: "ops/s"}
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		ref.Missing = "not installed"
		return ref
	}
	host, port, db := "127.0.0.1", "6379", "0"
	if u, err := url.Parse(c.RedisURL); err == nil && u.Host != "" {
		host = u.Hostname()
		if u.Port() != "" {
			port = u.Port()
		}
		if p := strings.TrimPrefix(u.Path, "/"); p != "" {
			db = p
		}
	}
	const key = "blitzload:bench:setnx"
	args := []string{"-h", host, "-p", port, "--dbnum", db, "-q", "-n", strconv.Itoa(c.RedisN), "-P", "1",
		"-c", strconv.Itoa(c.RedisConns), "SET", key, "val", "NX"}
	ref.Command = "redis-benchmark -q -n " + strconv.Itoa(c.RedisN) + " -P 1 -c " + strconv.Itoa(c.RedisConns) + " SET " + key + " val NX"
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	deleteKey(c.RedisURL, key)
	if err != nil {
		ref.Missing = fmt.Sprintf("error: %v: %s", err, lastLine(string(out)))
		return ref
	}
	v, err := ParseRedisBenchmark(string(out))
	if err != nil {
		ref.Missing = "error: " + err.Error()
		return ref
	}
	ref.Value = v
	return ref
}

// deleteKey removes the benchmark's key.
func deleteKey(redisURL, key string) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc.Del(ctx, key)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
