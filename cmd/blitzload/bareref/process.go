package bareref

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"
)

// SecretEnv carries the secret to the child process (never its command line).
const SecretEnv = "TICKETBLITZ_JWT_SECRET"

// readyPrefix starts the child's one line on stdout: "listening <base URL>".
const readyPrefix = "listening "

// Run is the child's side: serve on a free loopback port, print the base URL, and
// stop when stdin closes (the parent went away) or ctx ends.
func Run(ctx context.Context, secret []byte, stdin io.Reader, stdout io.Writer) error {
	srv, err := New(secret)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("bare reference: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "%shttp://%s\n", readyPrefix, ln.Addr())
	parentGone := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stdin)
		close(parentGone)
	}()
	select {
	case <-ctx.Done():
	case <-parentGone:
	case err := <-served:
		return fmt.Errorf("bare reference: %w", err)
	}
	return srv.Shutdown()
}

// Start runs `exe args…` as the child with secret and waits for its address. stop
// closes its stdin and waits for it to end.
func Start(ctx context.Context, exe string, args []string, secret []byte) (base string, stop func() error, err error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), SecretEnv+"="+string(secret))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start %s: %w", exe, err)
	}
	stop = func() error {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			return errors.Join(errors.New("bare reference did not stop; killed"), <-done)
		}
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
		io.Copy(io.Discard, out)
	}()
	select {
	case s := <-line:
		if base, ok := strings.CutPrefix(strings.TrimSpace(s), readyPrefix); ok {
			return base, stop, nil
		}
		return "", nil, errors.Join(fmt.Errorf("bare reference said %q", s), stop())
	case <-ctx.Done():
		return "", nil, errors.Join(ctx.Err(), stop())
	case <-time.After(30 * time.Second):
		return "", nil, errors.Join(errors.New("bare reference did not start within 30 s"), stop())
	}
}
