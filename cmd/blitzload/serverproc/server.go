package serverproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options say how to run one server.
type Options struct {
	// Bin is the server binary.
	Bin string
	// Strategy is "actor", "lock" or "pg".
	Strategy string
	// PostgresURL names the server's database (created by the server if missing).
	PostgresURL string
	RedisURL    string
	// Port is the HTTP port; 0 picks a free one.
	Port      int
	JWTSecret string
	// RateLimit defaults to a limit no load test reaches.
	RateLimit string
	// HoldTTL defaults to the server's own.
	HoldTTL time.Duration
	// LogPath receives the server's output.
	LogPath string
	// ReadyTimeout bounds the wait for /readyz (default 90 s).
	ReadyTimeout time.Duration
	// PostgresPool caps the server's PostgreSQL connections (0: the server's default).
	PostgresPool int
	// Env is added to the server's environment last, so it overrides the settings
	// above (a cluster node sets its name, gossip, join and broker addresses here).
	Env []string
	// Args replace the default "serve" arguments when set.
	Args []string
}

// Server is a running server process.
type Server struct {
	Base    string
	PID     int
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// Start runs the server and waits until /readyz answers 200.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Port == 0 {
		p, err := FreePort("")
		if err != nil {
			return nil, err
		}
		o.Port = p
	}
	if o.RateLimit == "" {
		o.RateLimit = "100000000/min"
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 90 * time.Second
	}
	logf, err := os.Create(o.LogPath)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port))
	env := append(os.Environ(),
		"TICKETBLITZ_HTTP_ADDR="+addr,
		"TICKETBLITZ_CLUSTER_BIND=127.0.0.1:0",
		"TICKETBLITZ_POSTGRES_URL="+o.PostgresURL,
		"TICKETBLITZ_STRATEGY="+o.Strategy,
		"TICKETBLITZ_RATE_LIMIT="+o.RateLimit,
		"TICKETBLITZ_SEED_DEMO=false",
		"TICKETBLITZ_LOG_LEVEL=warn",
		"TICKETBLITZ_SHUTDOWN_GRACE=10s",
		"TICKETBLITZ_KAFKA_BROKERS=",
		"TICKETBLITZ_CLUSTER_JOIN=",
	)
	if o.RedisURL != "" {
		env = append(env, "TICKETBLITZ_REDIS_URL="+o.RedisURL)
	}
	if o.JWTSecret != "" {
		env = append(env, "TICKETBLITZ_JWT_SECRET="+o.JWTSecret)
	}
	if o.HoldTTL > 0 {
		env = append(env, "TICKETBLITZ_HOLD_TTL="+o.HoldTTL.String())
	}
	if o.PostgresPool > 0 {
		env = append(env, "TICKETBLITZ_POSTGRES_POOL="+strconv.Itoa(o.PostgresPool))
	}
	env = append(env, o.Env...) // os/exec keeps the last value of a repeated name
	args := o.Args
	if len(args) == 0 {
		args = []string{"serve"}
	}
	cmd := exec.Command(o.Bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", o.Bin, err)
	}
	s := &Server{Base: "http://" + addr, PID: cmd.Process.Pid, LogPath: o.LogPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	if err := s.awaitReady(ctx, o.ReadyTimeout); err != nil {
		_ = s.Stop(5 * time.Second)
		return nil, err
	}
	return s, nil
}

// awaitReady polls /readyz until it answers 200, the process exits or time runs out.
func (s *Server) awaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-s.done:
			return fmt.Errorf("server exited before it was ready (%v); log %s:\n%s", s.waitErr, s.LogPath, s.LogTail(20))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := client.Get(s.Base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready after %s; log %s:\n%s", timeout, s.LogPath, s.LogTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop asks the server to shut down (SIGTERM) and kills it if it has not exited
// within grace.
func (s *Server) Stop(grace time.Duration) error {
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(grace):
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	return fmt.Errorf("server %d did not stop within %s; killed", s.PID, grace)
}

// Signal sends sig to the server process (SIGKILL, SIGSTOP, SIGCONT...).
func (s *Server) Signal(sig os.Signal) error {
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %v to server %d: %w", sig, s.PID, err)
	}
	return nil
}

// Done is closed when the process has ended.
func (s *Server) Done() <-chan struct{} { return s.done }

// ExitCode returns the process's exit status once it has ended: -1 when a signal
// ended it, and false while it still runs.
func (s *Server) ExitCode() (int, bool) {
	select {
	case <-s.done:
		return s.cmd.ProcessState.ExitCode(), true
	default:
		return 0, false
	}
}

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// RSS returns the process's resident memory in KiB (VmRSS of /proc/PID/status).
func (s *Server) RSS() (int64, error) {
	return ReadRSS(s.PID)
}

// ReadRSS returns VmRSS of process pid in KiB.
func ReadRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				break
			}
			kb, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("rss: %w", err)
			}
			return kb, nil
		}
	}
	return 0, errors.New("rss: no VmRSS line")
}

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	data, err := os.ReadFile(s.LogPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreePort returns a free TCP port on 127.0.0.1: the first one free in span
// ("lo-hi"), or any the kernel picks when span is empty.
func FreePort(span string) (int, error) {
	if span == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("free port: %w", err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	loS, hiS, ok := strings.Cut(span, "-")
	lo, err1 := strconv.Atoi(loS)
	hi, err2 := strconv.Atoi(hiS)
	if !ok || err1 != nil || err2 != nil || lo < 1 || hi > 65535 || lo > hi {
		return 0, fmt.Errorf("port range %q: want lo-hi", span)
	}
	for p := lo; p <= hi; p++ {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			l.Close()
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free port in %s", span)
}
