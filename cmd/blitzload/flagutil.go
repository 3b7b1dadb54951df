package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// serviceFlags adds the flags of every command that starts its own servers: where
// PostgreSQL and Redis are and the secret the servers sign tokens with, each defaulting
// to its TICKETBLITZ_ variable.
func serviceFlags(fs *flag.FlagSet, getenv func(string) string, pg, redis, secret *string, pgHelp string) {
	envOr := func(k, d string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return d
	}
	fs.StringVar(pg, "postgres-url", envOr("TICKETBLITZ_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), pgHelp)
	fs.StringVar(redis, "redis-url", envOr("TICKETBLITZ_REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis URL")
	fs.StringVar(secret, "jwt-secret", envOr("TICKETBLITZ_JWT_SECRET", api.DevSecret), "secret the servers sign tokens with")
}

// parseFlags parses args: -h is flag.ErrHelp, a mistake or a stray argument errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %v", errUsage, fs.Args())
	}
	return nil
}
