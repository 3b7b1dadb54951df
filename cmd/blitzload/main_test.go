package main

import (
	"context"
	"os"
	"testing"
)

// asCommandEnv makes the test binary act as blitzload itself, so that a run under test
// can start its companion processes (blitzload bareref) from os.Executable.
const asCommandEnv = "BLITZLOAD_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommandEnv) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
