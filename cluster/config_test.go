package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{Bind: "10.0.0.5:7000"}.withDefaults()
	if c.ClusterName != DefaultClusterName || c.RemoteHost != "10.0.0.5" || c.RequestTimeout != DefaultRequestTimeout ||
		c.Logger == nil || c.Tracer == nil {
		t.Errorf("defaults not applied: %+v", c)
	}
	if z := (Config{}).withDefaults(); z.Bind != DefaultBind || z.RemoteHost != "127.0.0.1" {
		t.Errorf("zero value: bind %q remote host %q", z.Bind, z.RemoteHost)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero value invalid: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	kind := func(name string) *protocluster.Kind {
		return protocluster.NewKind(name, actor.PropsFromFunc(func(actor.Context) {}))
	}
	tests := []struct {
		name    string
		cfg     Config
		problem string // "" means valid
	}{
		{"free ports", Config{Bind: "127.0.0.1:0"}, ""},
		{"advertised", Config{Bind: "0.0.0.0:7946", Advertise: "10.1.2.3:7946", RemotePort: 8090}, ""},
		{"ipv6", Config{Bind: "[::1]:0"}, ""},
		{"key 32", Config{GossipKey: make([]byte, 32)}, ""},
		{"kinds", Config{Kinds: []*protocluster.Kind{kind("section"), kind("other")}}, ""},
		{"hostname bind", Config{Bind: "localhost:7946"}, "not an IP address"},
		{"no port", Config{Bind: "127.0.0.1"}, "bind"},
		{"port range", Config{Bind: "127.0.0.1:70000"}, "not in 0..65535"},
		{"advertise hostname", Config{Advertise: "node-1:7946"}, "advertise"},
		{"remote port range", Config{RemotePort: -1}, "remote port"},
		{"unspecified remote without advertise", Config{Bind: "0.0.0.0:7946"}, "needs advertise"},
		{"unspecified remote, free port", Config{Bind: "0.0.0.0:7946", Advertise: "10.1.2.3:7946"}, "needs advertise and a fixed remote port"},
		{"key size", Config{GossipKey: make([]byte, 10)}, "gossip key"},
		{"empty seed", Config{Join: []string{"127.0.0.1:7946", ""}}, "join[1]"},
		{"nil kind", Config{Kinds: []*protocluster.Kind{nil}}, "kinds[0]: nil"},
		{"unnamed kind", Config{Kinds: []*protocluster.Kind{kind("")}}, "no name"},
		{"duplicate kind", Config{Kinds: []*protocluster.Kind{kind("a"), kind("a")}}, "listed twice"},
		{"reserved kind", Config{Kinds: []*protocluster.Kind{kind(protocluster.TopicActorKind)}}, "reserved"},
		{"negative timeout", Config{RequestTimeout: -time.Second}, "negative"},
		{"long cluster name", Config{ClusterName: strings.Repeat("x", 256)}, "255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.problem == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.problem != "" && err == nil:
				t.Errorf("accepted, want an error about %q", tt.problem)
			case tt.problem != "" && !strings.Contains(err.Error(), tt.problem):
				t.Errorf("error %q does not mention %q", err, tt.problem)
			}
		})
	}
}

func TestStartClientUnsupported(t *testing.T) {
	p, err := NewProvider(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.StartClient(nil); err == nil {
		t.Error("client mode accepted")
	}
	// Shutdown before start is harmless and repeatable.
	if err := p.Shutdown(true); err != nil {
		t.Error(err)
	}
	if err := p.Shutdown(false); err != nil {
		t.Error(err)
	}
}
