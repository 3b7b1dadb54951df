package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// backendCPU is the CPU time of each PostgreSQL backend serving one database, by pid.
type backendCPU map[int]time.Duration

// since is the CPU the backends used after before: a backend that was not there before
// counts whole.
func (c backendCPU) since(before backendCPU) time.Duration {
	var sum time.Duration
	for pid, t := range c {
		sum += t - before[pid]
	}
	return sum
}

// databaseCPU reads the CPU time of the backends serving db from /proc (the benchmarks
// run on the database's machine); empty when it cannot.
func databaseCPU(b *testing.B, db string) backendCPU {
	b.Helper()
	out := backendCPU{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testAdminPostgres)
	if err != nil {
		return out
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1`, db)
	if err != nil {
		return out
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return out
	}
	for _, pid := range pids {
		if t, ok := procCPU(int(pid)); ok {
			out[int(pid)] = t
		}
	}
	return out
}

// procCPU reads a process's user + system time from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command (which may hold spaces) start after its ")".
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, true
}
