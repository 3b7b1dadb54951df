package chaos

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// Cluster is a running cluster (a fresh database, the broker and the node processes,
// behind the simulated load balancer) for harnesses other than the chaos scenarios.
type Cluster struct {
	c *cluster
}

// NodeInfo is one node as the harness sees it.
type NodeInfo struct {
	Name string
	Base string
	// PID is the node's current process; Running is false once it has ended.
	PID     int
	Running bool
	// LogPath is the current process's log (JSON lines).
	LogPath string
}

// StartCluster creates the database name and starts the broker and cfg.Nodes nodes
// (cfg.HoldTTL and cfg.Env apply to every node). Stop ends them.
func StartCluster(ctx context.Context, cfg Config, name string) (*Cluster, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(None); err != nil {
		return nil, err
	}
	c, err := startCluster(ctx, cfg, name)
	if err != nil {
		return nil, err
	}
	return &Cluster{c: c}, nil
}

// RunBalancer re-checks every node's /readyz until ctx ends.
func (k *Cluster) RunBalancer(ctx context.Context) { k.c.runBalancer(ctx) }

// Targets returns the bases the load balancer sends traffic to.
func (k *Cluster) Targets() []string { return k.c.targets() }

// Token mints a token the nodes accept.
func (k *Cluster) Token(user, role string) (string, error) { return k.c.token(user, role) }

// DatabaseURL is the URL of the cluster's database.
func (k *Cluster) DatabaseURL() string { return k.c.dbURL }

// CreateEvent creates an event through the admin API, retrying while the cluster settles.
func (k *Cluster) CreateEvent(ctx context.Context, spec api.EventSpec) (api.Event, error) {
	return k.c.createEvent(ctx, spec)
}

// LeaseOwners returns the node holding each section's lease (sections without one are
// missing).
func (k *Cluster) LeaseOwners(ctx context.Context, eventID string, sections []string) map[string]string {
	return k.c.leaseOwners(ctx, eventID, sections)
}

// Nodes lists the nodes in the order they were started.
func (k *Cluster) Nodes() []NodeInfo {
	k.c.mu.Lock()
	defer k.c.mu.Unlock()
	out := make([]NodeInfo, 0, len(k.c.nodes))
	for _, n := range k.c.nodes {
		info := NodeInfo{Name: n.name, Base: n.base()}
		if n.srv != nil {
			info.PID, info.Running, info.LogPath = n.srv.PID, !n.srv.Exited(), n.srv.LogPath
		}
		out = append(out, info)
	}
	return out
}

// Kill sends SIGKILL to a node and waits for its process to end; it returns the
// instant the signal was sent.
func (k *Cluster) Kill(name string) (time.Time, error) {
	n := k.c.node(name)
	if n == nil || n.srv == nil {
		return time.Time{}, fmt.Errorf("kill: no node %q", name)
	}
	t0 := time.Now()
	if err := n.srv.Signal(syscall.SIGKILL); err != nil {
		return t0, err
	}
	<-n.srv.Done()
	return t0, nil
}

// Restart starts a node whose process has ended again, on the same name and addresses,
// and waits for its /readyz.
func (k *Cluster) Restart(ctx context.Context, name string) error {
	n := k.c.node(name)
	if n == nil {
		return fmt.Errorf("restart: no node %q", name)
	}
	return k.c.restart(ctx, n)
}

// CheckReady asks every node's /readyz once and updates the balancer.
func (k *Cluster) CheckReady(ctx context.Context) { k.c.checkReady(ctx) }

// Stop ends every process and drops the database unless the Config kept it.
func (k *Cluster) Stop() { k.c.stop() }
