package main

import (
	"errors"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

func TestGCPacingDefaults(t *testing.T) {
	const gib = 1 << 30
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	noLimit := func() (uint64, error) { return 0, memlimit.ErrNoLimit }
	failing := func() (uint64, error) { return 0, errors.New("unreadable") }
	for _, tc := range []struct {
		name      string
		c         config
		env       map[string]string
		available memlimit.Provider
		want      gcPacing
	}{
		{"nothing set: the defaults, the limit from the cgroup", config{}, nil, memlimit.Limit(2 * gib),
			gcPacing{percent: defaultGCPercent, percentFrom: "default", limit: 2 * gib * 9 / 10, limitFrom: "default"}},
		{"no memory known: no limit", config{}, nil, noLimit,
			gcPacing{percent: defaultGCPercent, percentFrom: "default", limitFrom: "none known"}},
		{"memory unreadable: no limit", config{}, nil, failing,
			gcPacing{percent: defaultGCPercent, percentFrom: "default", limitFrom: "none known"}},
		{"GOGC and GOMEMLIMIT are left to the runtime", config{}, map[string]string{"GOGC": "100", "GOMEMLIMIT": "off"}, memlimit.Limit(2 * gib),
			gcPacing{percentFrom: "GOGC", limitFrom: "GOMEMLIMIT"}},
		{"the flags win over the environment", config{GCPercent: 150, MemoryLimitMiB: 700},
			map[string]string{"GOGC": "100", "GOMEMLIMIT": "1GiB"}, memlimit.Limit(2 * gib),
			gcPacing{percent: 150, percentFrom: "gc-percent", limit: 700 << 20, limitFrom: "memory-limit-mib"}},
		{"GOGC alone leaves the default limit", config{}, map[string]string{"GOGC": "200"}, memlimit.Limit(1000 << 20),
			gcPacing{percentFrom: "GOGC", limit: 900 << 20, limitFrom: "default"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gcPacingFor(tc.c, env(tc.env), tc.available); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
