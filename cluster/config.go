package cluster

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Defaults of the Config fields left unset.
const (
	DefaultClusterName    = "ticketblitz"
	DefaultBind           = "127.0.0.1:7946"
	DefaultRequestTimeout = 5 * time.Second
)

// Config describes one cluster node. The zero value starts a single-node cluster on
// 127.0.0.1:7946 with gRPC remoting on a free port.
type Config struct {
	// NodeName is the node's memberlist name, unique in the cluster. Empty means the
	// protoactor member id, which is random per start.
	NodeName string
	// ClusterName keeps clusters apart: it labels every memberlist packet and is checked in
	// node metadata. Default "ticketblitz".
	ClusterName string
	// Bind is the memberlist address, "ip:port" (UDP and TCP). Port 0 picks a free port.
	// Default 127.0.0.1:7946.
	Bind string
	// Advertise is the "ip:port" other nodes use to reach memberlist when it differs from
	// Bind (NAT, 0.0.0.0). Port 0 means the bound port.
	Advertise string
	// RemoteHost is the host protoactor's gRPC remoting listens on; other nodes dial it.
	// Default: Bind's host. An unspecified address (0.0.0.0, ::) needs Advertise, whose
	// host is then announced, and a fixed RemotePort.
	RemoteHost string
	// RemotePort is the gRPC remoting port; 0 picks a free port.
	RemotePort int
	// Join lists memberlist addresses of existing members ("ip:port" or "host:port").
	// Start retries them with backoff until one answers or its context ends. Entries equal
	// to this node's own address are ignored; an empty list makes this the first node.
	Join []string
	// GossipKey, when set, encrypts memberlist traffic (AES, 16, 24 or 32 bytes). Every
	// node needs the same key.
	GossipKey []byte
	// Kinds are the virtual-actor kinds this node hosts.
	Kinds []*protocluster.Kind
	// ProbeInterval is how often memberlist probes one other member; a killed member is
	// declared dead after about five intervals with two nodes (see the failure detection
	// notes in provider.go). Default DefaultProbeInterval.
	ProbeInterval time.Duration
	// DisableRefusalProbe turns off the refusal prober (see provider_refusal.go), which
	// counts a member lost as soon as its gRPC remoting port refuses two connections in a
	// row, long before memberlist declares it dead. Turn it off only where a live
	// member's port may refuse, such as behind a firewall that rejects rather than drops.
	DisableRefusalProbe bool
	// RequestTimeout bounds one cluster.Request. Default 5 s.
	RequestTimeout time.Duration
	// Logger receives the package's logs under the name the caller gave it and, at
	// warning level and above, protoactor's and memberlist's through child loggers of
	// those names. Default: no logs.
	Logger *zap.Logger
	// Tracer receives "member" traces (join, leave, suspect, alive). Default: none.
	Tracer actors.Tracer
}

// withDefaults returns a copy of c with every unset optional field filled in.
func (c Config) withDefaults() Config {
	if c.ClusterName == "" {
		c.ClusterName = DefaultClusterName
	}
	if c.Bind == "" {
		c.Bind = DefaultBind
	}
	if c.RemoteHost == "" {
		if host, _, err := net.SplitHostPort(c.Bind); err == nil {
			c.RemoteHost = host
		}
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ProbeInterval == 0 {
		c.ProbeInterval = DefaultProbeInterval
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Tracer == nil {
		c.Tracer = actors.NopTracer{}
	}
	c.Join = append([]string(nil), c.Join...)
	c.Kinds = append([]*protocluster.Kind(nil), c.Kinds...)
	return c
}

// Validate reports every problem of c with its defaults applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.ClusterName) > 255 {
		errs = append(errs, errors.New("cluster name: longer than 255 bytes"))
	}
	if _, _, err := splitIPPort(c.Bind); err != nil {
		errs = append(errs, fmt.Errorf("bind %q: %w", c.Bind, err))
	}
	var advertiseIP net.IP
	if c.Advertise != "" {
		var err error
		if advertiseIP, _, err = splitIPPort(c.Advertise); err != nil {
			errs = append(errs, fmt.Errorf("advertise %q: %w", c.Advertise, err))
		}
	}
	if c.RemotePort < 0 || c.RemotePort > 65535 {
		errs = append(errs, fmt.Errorf("remote port %d: out of range", c.RemotePort))
	}
	if ip := net.ParseIP(c.RemoteHost); ip != nil && ip.IsUnspecified() {
		if advertiseIP == nil || c.RemotePort == 0 {
			errs = append(errs, fmt.Errorf("remote host %q: an unspecified address needs advertise and a fixed remote port", c.RemoteHost))
		}
	} else if c.RemoteHost == "" {
		errs = append(errs, errors.New("remote host: required"))
	}
	for i, seed := range c.Join {
		if seed == "" {
			errs = append(errs, fmt.Errorf("join[%d]: empty", i))
		}
	}
	switch len(c.GossipKey) {
	case 0, 16, 24, 32:
	default:
		errs = append(errs, fmt.Errorf("gossip key: %d bytes, want 16, 24 or 32", len(c.GossipKey)))
	}
	seen := make(map[string]bool, len(c.Kinds))
	for i, k := range c.Kinds {
		switch {
		case k == nil:
			errs = append(errs, fmt.Errorf("kinds[%d]: nil", i))
		case k.Kind == "":
			errs = append(errs, fmt.Errorf("kinds[%d]: no name", i))
		case k.Props == nil:
			errs = append(errs, fmt.Errorf("kind %q: no props", k.Kind))
		case seen[k.Kind]:
			errs = append(errs, fmt.Errorf("kind %q: listed twice", k.Kind))
		case k.Kind == protocluster.TopicActorKind:
			errs = append(errs, fmt.Errorf("kind %q: reserved by protoactor", k.Kind))
		}
		if k != nil {
			seen[k.Kind] = true
		}
	}
	if c.RequestTimeout < 0 {
		errs = append(errs, fmt.Errorf("request timeout %v: negative", c.RequestTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid cluster config: %w", err)
	}
	return nil
}

// splitIPPort parses "ip:port"; memberlist binds and advertises IP addresses only.
func splitIPPort(addr string) (net.IP, int, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, 0, err
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, 0, fmt.Errorf("host %q is not an IP address", host)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return nil, 0, fmt.Errorf("port %q: not in 0..65535", portText)
	}
	return ip, port, nil
}
