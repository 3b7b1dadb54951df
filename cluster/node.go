package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"go.uber.org/zap"
)

// DefaultStopTimeout bounds Stop when its context has no deadline. A graceful protoactor
// shutdown waits 2 s for ownership hand-off and up to 10 s for gRPC to drain.
const DefaultStopTimeout = 15 * time.Second

// DefaultHandOverTimeout bounds a graceful leave's wait for the local activations to stop.
const DefaultHandOverTimeout = 5 * time.Second

// gossipOff is an interval protoactor's gossip loop never reaches.
const gossipOff = 100 * 365 * 24 * time.Hour

// readyPoll is how often Start checks that the node entered its own topology.
const readyPoll = 10 * time.Millisecond

// Node is one running cluster member: an actor system with gRPC remoting, protoactor's
// cluster with disthash placement, and the memberlist provider.
type Node struct {
	name     string
	log      *zap.Logger
	system   *actor.ActorSystem
	cluster  *protocluster.Cluster
	provider *Provider

	shutdownOnce sync.Once
	done         chan struct{} // closed when protoactor's shutdown returned
}

// Start starts a node and returns once it has joined the cluster (or is the first node)
// and protoactor's topology on it contains it. protoactor's start sleeps 1 s; joining is
// retried until ctx ends, in which case the node is torn down and the error wraps
// ctx.Err().
func Start(ctx context.Context, cfg Config) (*Node, error) {
	n, err := newNode(cfg)
	if err != nil {
		return nil, err
	}
	if err := n.start(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// newNode builds everything without starting anything.
func newNode(cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	provider, err := NewProvider(cfg)
	if err != nil {
		return nil, err
	}
	libLog := cfg.Logger.Named("protoactor")
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(s *actor.ActorSystem) *slog.Logger {
		return slog.New(newZapHandler(libLog, libraryLogLevel, provider.noise)).With(slog.String("system", s.ID))
	}))
	if cfg.NodeName == "" {
		// The provider names itself after the member id it gets at StartMember.
		cfg.NodeName = system.ID
	}
	var remoteOpts []remote.ConfigOption
	if ip := net.ParseIP(cfg.RemoteHost); ip != nil && ip.IsUnspecified() {
		advertise, _, _ := net.SplitHostPort(cfg.Advertise) // validated
		remoteOpts = append(remoteOpts, remote.WithAdvertisedHost(net.JoinHostPort(advertise, strconv.Itoa(cfg.RemotePort))))
	}
	clusterCfg := protocluster.Configure(cfg.ClusterName, provider, disthash.New(),
		remote.Configure(cfg.RemoteHost, cfg.RemotePort, remoteOpts...),
		protocluster.WithKinds(cfg.Kinds...),
		protocluster.WithRequestTimeout(cfg.RequestTimeout))
	// memberlist is the one membership authority. protoactor's own gossip would add a
	// second failure detector (a member whose gossip heartbeat is 20 s old is blocked for
	// good), its topology consensus never reports consensus at this version, and its loop
	// reads the block list without the lock while our topology updates write it. Its loop
	// is therefore never scheduled; the gossip actor still exists for protoactor's calls.
	clusterCfg.GossipInterval = gossipOff
	clusterCfg.HeartbeatExpiration = gossipOff
	return &Node{
		name:     cfg.NodeName,
		log:      cfg.Logger,
		system:   system,
		cluster:  protocluster.New(system, clusterCfg),
		provider: provider,
		done:     make(chan struct{}),
	}, nil
}

// start runs protoactor's StartMember, then waits for the join and for the node to appear
// in its own topology.
func (n *Node) start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		n.system.Shutdown()
		return fmt.Errorf("cluster: start: %w", err)
	}
	addrBefore := n.system.Address()
	began := time.Now()
	if err := startMember(n.cluster); err != nil {
		n.abort(addrBefore)
		return err
	}
	select {
	case <-n.provider.Joined():
	case <-ctx.Done():
		n.Crash()
		return fmt.Errorf("cluster: join %s: %w", strings.Join(n.provider.cfg.Join, ","), ctx.Err())
	}
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for !n.provider.ready() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			n.Crash()
			return fmt.Errorf("cluster: wait for own topology: %w", ctx.Err())
		}
	}
	n.log.Info("cluster node started", zap.String("node", n.name), zap.String("remote", n.system.Address()),
		zap.String("gossip", n.provider.GossipAddress()), zap.Duration("took", time.Since(began)))
	return nil
}

// startMember turns protoactor's panics (failed listen, provider error) into an error.
func startMember(c *protocluster.Cluster) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("cluster: start member: %w", e)
				return
			}
			err = fmt.Errorf("cluster: start member: %v", r)
		}
	}()
	c.StartMember()
	return nil
}

// abort undoes a StartMember that panicked half way.
func (n *Node) abort(addrBefore string) {
	n.shutdownOnce.Do(func() {
		defer close(n.done)
		_ = n.provider.Shutdown(false)
		n.system.Shutdown()
		if n.cluster.Remote != nil && n.system.Address() != addrBefore {
			n.cluster.Remote.Shutdown(false)
		}
		n.cluster.Gossip.Shutdown() // no-op when gossip never started
	})
}

// Cluster returns protoactor's cluster, for Request and Get.
func (n *Node) Cluster() *protocluster.Cluster { return n.cluster }

// ActorSystem returns the actor system.
func (n *Node) ActorSystem() *actor.ActorSystem { return n.system }

// Name returns the node's memberlist name.
func (n *Node) Name() string { return n.name }

// MemberID returns the node's protoactor member id.
func (n *Node) MemberID() string { return n.system.ID }

// JoinAddress returns the memberlist address other nodes put in Config.Join.
func (n *Node) JoinAddress() string { return n.provider.GossipAddress() }

// Members lists the members this node knows, itself included, sorted by name.
func (n *Node) Members() []MemberInfo { return n.provider.Members() }

// Ready reports whether the node may take traffic: it has joined, is not leaving, has not
// been expelled, and protoactor's topology on this node includes it (so it is not
// blocked). protoactor's topology consensus is not used: at the pinned version its check
// never reports consensus once the topology has members.
func (n *Node) Ready(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
	}
	return n.provider.ready()
}

// Expelled is closed when a member this node still counts tells it that it declared this
// node dead (after a pause or a one-sided network fault). protoactor on that member blocks
// this node's member id for good, so the node cannot rejoin as it is: the owner should
// stop it (Crash, or Stop) and start a new process, which gets a new member id.
func (n *Node) Expelled() <-chan struct{} { return n.provider.Expelled() }

// Leave leaves the cluster gracefully. First the hand-over: the node announces that it
// is leaving (the others stop placing identities here at once) and waits until its local
// activations have stopped, each answering its queue with a retryable error and
// releasing its lease, so that their next activation elsewhere starts without waiting
// for a lease to run out (bounded by a third of what ctx allows, at most
// DefaultHandOverTimeout). Then it leaves memberlist and shuts protoactor down (which
// waits 2 s more and drains gRPC). It returns when that finished or ctx ended; in the
// latter case the shutdown goes on in the background and the error wraps ctx.Err().
// Leave, Stop and Crash shut down once; later calls only wait.
func (n *Node) Leave(ctx context.Context) error {
	n.shutdownOnce.Do(func() {
		leaveTimeout := leaveBudget(ctx)
		handOverTimeout := handOverBudget(ctx)
		go func() {
			defer close(n.done)
			hctx, cancel := context.WithTimeout(context.Background(), handOverTimeout)
			n.provider.handOver(hctx, n.nudgePlacement)
			cancel()
			if err := n.provider.stop(true, leaveTimeout); err != nil {
				n.log.Warn("leaving memberlist", zap.String("node", n.name), zap.Error(err))
			}
			if v := shutDownSurviving(n.cluster.Shutdown, n.forceRemoteStop); v != nil {
				n.log.Warn("protoactor's graceful shutdown panicked; its gRPC server was closed at once instead",
					zap.String("node", n.name), zap.Any("panic", v))
			}
			n.log.Info("cluster node left", zap.String("node", n.name))
		}()
	})
	select {
	case <-n.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cluster: leave: %w", ctx.Err())
	}
}

// nudgePlacement hands disthash's placement actor the topology the provider published
// again. protoactor only reconsiders its local activations when a topology changes; an
// identity activated here after the change (by a member that had not yet seen the leave)
// would otherwise stay until the node shuts down.
func (n *Node) nudgePlacement(members []*protocluster.Member) {
	placement := actor.NewPID(n.system.Address(), disthash.PartitionActivatorActorName)
	n.system.Root.Send(placement, &protocluster.ClusterTopology{Members: members})
}

// Stop is Leave under a deadline (DefaultStopTimeout when ctx has none). When the
// deadline passes first, it closes the gRPC server at once so that the process can exit.
func (n *Node) Stop(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultStopTimeout)
		defer cancel()
	}
	err := n.Leave(ctx)
	if err != nil && errors.Is(err, ctx.Err()) {
		n.forceRemoteStop()
	}
	return err
}

// Crash stops the node the way a killed process would: memberlist stops without leaving
// (the others detect the failure) and protoactor shuts down without hand-off. It is for
// tests and for a node that must stop serving at once. protoactor's Shutdown(false) does
// not stop the provider, so Crash stops it first.
func (n *Node) Crash() {
	_ = n.provider.Shutdown(false)
	crashed := false
	n.shutdownOnce.Do(func() {
		crashed = true
		defer close(n.done)
		n.cluster.Shutdown(false)
		// Shutdown(false) leaves the gossip loop waiting for a tick that never comes.
		n.cluster.Gossip.Shutdown()
		n.log.Info("cluster node crashed", zap.String("node", n.name))
	})
	if !crashed {
		n.forceRemoteStop()
	}
}

// shutDownSurviving runs shutdown(true), protoactor's graceful shutdown, and returns
// nil; if it panics, it calls forceStop and returns what the panic carried. protoactor
// stops its remote endpoints by sending on each endpoint reader's channel, which the
// reader closes when its stream fails before it has taken itself off the list: a leave
// just after another member's stream broke ended the process with "send on closed
// channel" after its hand-over was done. What the panic skipped is the gRPC server's
// stop, which forceStop does.
func shutDownSurviving(shutdown func(graceful bool), forceStop func()) (panicked any) {
	defer func() {
		if v := recover(); v != nil {
			panicked = v
			forceStop()
		}
	}()
	shutdown(true)
	return nil
}

// forceRemoteStop closes the gRPC server and its connections; safe during a graceful
// shutdown, which it cuts short.
func (n *Node) forceRemoteStop() {
	if n.cluster.Remote != nil {
		n.cluster.Remote.Shutdown(false)
	}
}

// handOverBudget is how long a graceful leave may wait for its activations to stop: a
// third of what ctx allows, at most DefaultHandOverTimeout.
func handOverBudget(ctx context.Context) time.Duration {
	d := DefaultHandOverTimeout
	if deadline, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(deadline)/3)
	}
	return max(d, 50*time.Millisecond)
}

// leaveBudget is how long memberlist may wait for its leave message to go out: a third
// of what ctx allows, at most defaultLeaveTimeout.
func leaveBudget(ctx context.Context) time.Duration {
	d := defaultLeaveTimeout
	if deadline, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(deadline)/3)
	}
	return max(d, 50*time.Millisecond)
}
