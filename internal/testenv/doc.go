// Package testenv is what the tests of every package share about their surroundings:
// whether PostgreSQL and Redis answer (a missing service skips the test, or fails it
// when TICKETBLITZ_REQUIRE_SERVICES=1 as in CI) and a polling helper that says why a
// condition never came true, and a Redis of a test's own (StartRedisServer) for tests
// that stop it, and the process's CPU time for benchmarks (ProcessCPU). Only tests
// import it.
package testenv
