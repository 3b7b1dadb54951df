package serverproc

import (
	"net"
	"os"
	"strconv"
	"testing"
)

func TestDatabaseURL(t *testing.T) {
	got, err := DatabaseURL("postgres://postgres@127.0.0.1:5432/ticketblitz?sslmode=disable", "tb_blitzload_x")
	if err != nil || got != "postgres://postgres@127.0.0.1:5432/tb_blitzload_x?sslmode=disable" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestFreePortInARange(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	if _, err := FreePort(strconv.Itoa(busy) + "-" + strconv.Itoa(busy)); err == nil {
		t.Error("a busy port was called free")
	}
	p, err := FreePort("")
	if err != nil || p == 0 {
		t.Errorf("any free port: %d, %v", p, err)
	}
	for _, bad := range []string{"x", "5-1", "0-10", "1-70000"} {
		if _, err := FreePort(bad); err == nil {
			t.Errorf("range %q accepted", bad)
		}
	}
}

func TestReadRSS(t *testing.T) {
	kb, err := ReadRSS(os.Getpid())
	if err != nil || kb <= 0 {
		t.Errorf("rss of this process %d KiB, %v", kb, err)
	}
	if _, err := ReadRSS(-1); err == nil {
		t.Error("rss of no process")
	}
}

func TestFindModuleDir(t *testing.T) {
	dir, err := FindModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + "/cmd/ticketblitz"); err != nil {
		t.Errorf("module dir %s has no cmd/ticketblitz: %v", dir, err)
	}
}
