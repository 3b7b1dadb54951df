package testenv

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServer is a redis-server process of the test's own, for tests that stop Redis:
// the machine's Redis is shared with every other test. It keeps nothing on disk.
type RedisServer struct {
	// Port is the loopback port it listens on; a restart listens on the same one.
	Port int
	cmd  *exec.Cmd
	done chan struct{}
}

// StartRedisServer runs redis-server on port (0: a free one) and waits until it answers.
// Without a redis-server executable the test is skipped, or fails when
// TICKETBLITZ_REQUIRE_SERVICES=1. The process is killed when the test ends.
func StartRedisServer(t testing.TB, port int) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Unavailable(t, fmt.Errorf("redis-server: %w", err))
	}
	if port == 0 {
		port = freePort(t)
	}
	r := &RedisServer{Port: port, done: make(chan struct{})}
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	go func() {
		_ = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(r.Kill)
	rc := redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1})
	defer rc.Close()
	Eventually(t, 10*time.Second, func() error {
		select {
		case <-r.done:
			return errors.New("redis-server exited; is the port taken?")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return rc.Ping(ctx).Err()
	})
	return r
}

// Addr is the server's "host:port".
func (r *RedisServer) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port)) }

// URL is the server's redis:// URL, database 0.
func (r *RedisServer) URL() string { return "redis://" + r.Addr() + "/0" }

// Kill stops the server with SIGKILL, as a crash would, and waits until it is gone.
func (r *RedisServer) Kill() {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

// freePort picks a loopback port that is free now, below the kernel's ephemeral range
// where the outgoing connections of tests running alongside cannot take it meanwhile.
func freePort(t testing.TB) int {
	t.Helper()
	for range 200 {
		p := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			ln.Close()
			return p
		}
	}
	t.Fatal("no free port found in 200 tries")
	return 0
}
