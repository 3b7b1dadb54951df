package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEveryCommandTakesProfileFlags(t *testing.T) {
	for _, cmd := range []string{"flash", "hot", "steady", "mixed", "bench", "live", "chaos", "soak"} {
		var out bytes.Buffer
		if code := run(context.Background(), []string{cmd, "-h"}, noEnv, &out, &out); code != exitOK {
			t.Fatalf("blitzload %s -h: exit %d\n%s", cmd, code, out.String())
		}
		for _, f := range []string{"-cpuprofile", "-memprofile", "-cpu-profile"} {
			if !strings.Contains(out.String(), "  "+f+" ") {
				t.Errorf("blitzload %s -h does not list %s", cmd, f)
			}
		}
	}
}

func TestProfilesAreWritten(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	for _, args := range [][]string{
		{"--cpuprofile", cpu, "--memprofile", mem},
		{"--cpu-profile", cpu, "--memprofile=" + mem},
	} {
		os.Remove(cpu)
		os.Remove(mem)
		var p profiles
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		p.bind(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		stop, err := p.start(&stderr)
		if err != nil {
			t.Fatal(err)
		}
		var sink [][]byte
		for i := range 1000 {
			sink = append(sink, make([]byte, 1024+i))
		}
		stop()
		if stderr.Len() > 0 || len(sink) == 0 {
			t.Errorf("stop: %s", stderr.String())
		}
		for _, path := range []string{cpu, mem} {
			data, err := os.ReadFile(path)
			// A pprof profile is gzipped protocol buffers.
			if err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
				t.Errorf("%v: %s is not a profile (%d bytes, %v)", args, path, len(data), err)
			}
		}
	}
}

func TestGCPercentLeavesGOGCAlone(t *testing.T) {
	if p, ok := gcPercent(noEnv); !ok || p != defaultGCPercent {
		t.Errorf("without GOGC: %d, %v; want %d", p, ok, defaultGCPercent)
	}
	set := func(k string) string {
		if k == "GOGC" {
			return "100"
		}
		return ""
	}
	if _, ok := gcPercent(set); ok {
		t.Error("GOGC=100 was overridden")
	}
}
