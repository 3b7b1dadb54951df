package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestScenarioFileThenFlags(t *testing.T) {
	dir := t.TempDir()
	yml := filepath.Join(dir, "flash.yaml")
	if err := os.WriteFile(yml, []byte("scenario: flash\nfans: 300\nseats: 150\nthink-time: 250ms\nconfirm-share: 0.5\nseed: 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cfg, o, err := parseScenarioArgs("flash", []string{"--config", yml, "--fans", "400", "--html", "x.html"}, noEnv, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fans != 400 || cfg.Seats != 150 || cfg.ThinkTime != 250*time.Millisecond || cfg.ConfirmShare != 0.5 || cfg.Seed != 7 {
		t.Errorf("config %+v: the file's values with the flag's override expected", cfg)
	}
	if o.HTMLOut != "x.html" || o.JWTSecret == "" || o.TokenSource != "local" {
		t.Errorf("options %+v", o)
	}

	js := filepath.Join(dir, "hot.json")
	if err := os.WriteFile(js, []byte(`{"scenario":"hot","callers":12,"duration":"3s","hot-mode":"random"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, err = parseScenarioArgs("hot", []string{"-config=" + js}, noEnv, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Callers != 12 || cfg.Duration != 3*time.Second || cfg.HotMode != "random" {
		t.Errorf("JSON scenario file not applied: %+v", cfg)
	}
	if _, _, err := parseScenarioArgs("flash", []string{"--config", js}, noEnv, &stderr); !errors.Is(err, errUsage) {
		t.Errorf("a hot file for flash: %v", err)
	}
}

func TestScenarioArgsRejectMistakes(t *testing.T) {
	var stderr bytes.Buffer
	for _, args := range [][]string{
		{"--fans", "0"},
		{"--min-seats", "3", "--max-seats", "2"},
		{"--confirm-share", "1.5"},
		{"--token-source", "ldap"},
		{"--target", "127.0.0.1:8080"},
		{"--no-such-flag"},
		{"stray"},
	} {
		if _, _, err := parseScenarioArgs("flash", args, noEnv, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("%v: want a usage error, got %v", args, err)
		}
	}
	if _, _, err := parseScenarioArgs("flash", []string{"-h"}, noEnv, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

func TestSecretFromTheEnvironment(t *testing.T) {
	var stderr bytes.Buffer
	_, o, err := parseScenarioArgs("hot", nil, func(k string) string {
		if k == "TICKETBLITZ_JWT_SECRET" {
			return "s3cret"
		}
		return ""
	}, &stderr)
	if err != nil || o.JWTSecret != "s3cret" {
		t.Errorf("secret %q, %v", o.JWTSecret, err)
	}
}

func TestRunUsageAndExitCodes(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(t.Context(), nil, noEnv, &out, &errOut); code != exitUsage {
		t.Errorf("no command: exit %d", code)
	}
	if code := run(t.Context(), []string{"storm"}, noEnv, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, errOut.String())
	}
	out.Reset()
	if code := run(t.Context(), []string{"help"}, noEnv, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "blitzload bench") {
		t.Errorf("help: exit %d, %q", code, out.String())
	}
	if code := run(t.Context(), []string{"flash", "--fans", "-1"}, noEnv, &out, &errOut); code != exitUsage {
		t.Errorf("bad flag value: exit %d", code)
	}
}

func TestCommandLineQuotes(t *testing.T) {
	got := commandLine([]string{"bench", "--ports", "18200-18299", "--mix", "list=1, event=2"})
	want := "blitzload bench --ports 18200-18299 --mix 'list=1, event=2'"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
