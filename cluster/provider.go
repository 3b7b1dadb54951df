package cluster

import (
	"errors"
	"fmt"
	"log"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/hashicorp/memberlist"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// Failure detection, starting from memberlist.DefaultLocalConfig:
//
//   - a node probes one other member every Config.ProbeInterval (DefaultProbeInterval,
//     400 ms), waiting half of it for the UDP ack, then asking one other member to probe
//     indirectly and trying TCP, both bounded by the rest of the interval;
//   - a member that fails a probe is suspect for suspicionMult × the interval × max(1,
//     log10 N) = 1.2 s below ten nodes (up to suspicionMaxTimeoutMult times that while no
//     other member confirms the suspicion), then dead;
//   - the dead message spreads by gossip every gossipInterval (100 ms).
//
// Worst case for two nodes: up to one interval until the dead node is probed, one interval
// for the failed probe, three of suspicion: 5 intervals, 2 s by default (1.6–2.2 s
// measured), plus the worker's reaction (at once, on memberlist's leave callback). A
// member that stalls longer than that (GC pause, SIGSTOP, an overloaded host) is declared
// dead too, and protoactor blocks its member id for good; the node then shuts down to be
// restarted under a new id, and the fence keeps its writes out meanwhile. A member
// suspected by mistake refutes as soon as it runs again and hears of it, within the
// suspicion time. With three or more nodes the suspicion lasts up to 4 × 3 intervals
// unless other members confirm it. A shorter interval detects sooner and declares more
// stalled nodes dead: 200 ms detects a kill in about 1 s on a quiet LAN, but on a busy
// 2-core host it also declared a draining node dead.
//
// A process killed on a host that is still up is detected sooner without shortening the
// interval: its remoting port refuses connections, which a live process's never does.
// The refusal prober (provider_refusal.go) counts such a member lost within about one
// scanInterval; memberlist's verdict follows as above.
const (
	// DefaultProbeInterval is Config.ProbeInterval's default.
	DefaultProbeInterval    = 400 * time.Millisecond
	suspicionMult           = 3
	suspicionMaxTimeoutMult = 4
	gossipInterval          = 100 * time.Millisecond
	// gossipToTheDead keeps gossiping to a member declared dead so that a live one learns it
	// quickly and refutes.
	gossipToTheDead = 5 * time.Second
	// pushPullInterval is the full state exchange that heals missed gossip.
	pushPullInterval = 10 * time.Second
	tcpTimeout       = time.Second
	// deadNodeReclaim lets a node restarted under the same name on a new port rejoin.
	deadNodeReclaim = 5 * time.Second
)

// The worker's and the join loop's pace.
const (
	scanInterval        = 250 * time.Millisecond
	republishInterval   = time.Second
	departedRetention   = time.Minute
	defaultLeaveTimeout = 2 * time.Second
	joinBackoffMin      = 100 * time.Millisecond
	joinBackoffMax      = 2 * time.Second
	maxPendingEvents    = 256
)

// Provider is a protoactor ClusterProvider on hashicorp/memberlist. Every node announces
// its protoactor member id, remoting address and kinds in its memberlist metadata; a
// worker goroutine turns memberlist's member list into protoactor topology updates, on
// every membership change and once a second.
//
// A Provider serves one StartMember. Shutdown(false) stops memberlist at once, without
// leaving; Shutdown(true) leaves first.
type Provider struct {
	cfg    Config
	log    *zap.Logger
	tracer actors.Tracer
	// noise counts the libraries' failover noise (see failover_noise.go); the worker
	// summarises it.
	noise *noiseTally

	// Set by StartMember (under mu) before any goroutine starts; read-only afterwards.
	name        string
	cluster     *protocluster.Cluster
	ml          *memberlist.Memberlist
	self        nodeMeta
	topologySub *eventstream.Subscription

	meta     atomic.Pointer[[]byte] // what NodeMeta returns: announced, encoded
	expelled chan struct{}
	leaving  atomic.Bool // set by handOver: the worker publishes topologies without this node

	// announceMu serialises announcements: changing announced, storing its encoding in
	// meta and memberlist's UpdateNode, so that a later announcement never goes out with
	// an older incarnation than an earlier one. NodeMeta never takes it.
	announceMu sync.Mutex
	announced  nodeMeta // this node's metadata as last announced: self plus Leaving and Sections
	// countActive and updateNode are activeCount and memberlist's UpdateNode; unit tests
	// replace them.
	countActive func() int
	updateNode  func(timeout time.Duration) error
	expelOnce   sync.Once

	started  atomic.Bool
	wake     chan struct{} // 1-buffered: a pending sync
	quit     chan struct{}
	joined   chan struct{}
	joinOnce sync.Once
	wg       sync.WaitGroup
	stopOnce sync.Once
	stopErr  error

	mu        sync.Mutex
	records   map[string]*memberRecord // by memberlist name, copied in the callbacks
	events    []memberEvent            // callbacks' events the worker has not traced yet
	dropped   int                      // events lost to a full queue
	topology  map[string]bool          // protoactor member ids of the last published topology
	published []*protocluster.Member   // the member list the worker last handed to protoactor
	stopped   bool
}

// NewProvider returns a provider for cfg. It does nothing until protoactor calls
// StartMember.
func NewProvider(cfg Config) (*Provider, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Provider{
		cfg:      cfg,
		log:      cfg.Logger,
		tracer:   cfg.Tracer,
		noise:    newNoiseTally(),
		wake:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		joined:   make(chan struct{}),
		expelled: make(chan struct{}),
		records:  make(map[string]*memberRecord),
	}
	p.countActive = p.activeCount
	return p, nil
}

// StartMember implements protocluster.ClusterProvider: it starts memberlist with this
// node's metadata, the worker and, when Join is set, the join loop. It returns before
// the join succeeds; Joined tells when it has.
func (p *Provider) StartMember(c *protocluster.Cluster) error {
	if !p.started.CompareAndSwap(false, true) {
		return errors.New("cluster provider: already started")
	}
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil {
		return fmt.Errorf("cluster provider: remoting address: %w", err)
	}
	if port <= 0 {
		return errors.New("cluster provider: remoting is not started")
	}
	name := p.cfg.NodeName
	if name == "" {
		name = c.ActorSystem.ID
	}
	self := nodeMeta{Cluster: p.cfg.ClusterName, ID: c.ActorSystem.ID, Host: host, Port: port, Kinds: c.GetClusterKinds()}
	meta, err := encodeMeta(self)
	if err != nil {
		return fmt.Errorf("cluster provider: %w", err)
	}
	p.meta.Store(&meta)
	p.announceMu.Lock()
	p.announced = self
	p.announceMu.Unlock()
	p.mu.Lock() // Members and ready may already be polled
	p.name, p.self, p.cluster = name, self, c
	p.mu.Unlock()
	conf, err := p.memberlistConfig()
	if err != nil {
		return fmt.Errorf("cluster provider: %w", err)
	}
	p.topologySub = c.ActorSystem.EventStream.Subscribe(p.onTopology)
	ml, err := memberlist.Create(conf)
	if err != nil {
		c.ActorSystem.EventStream.Unsubscribe(p.topologySub)
		return fmt.Errorf("cluster provider: start memberlist on %s: %w", p.cfg.Bind, err)
	}
	p.ml = ml
	p.updateNode = ml.UpdateNode
	seeds := p.seeds()
	p.log.Info("memberlist started",
		zap.String("node", p.name), zap.String("gossip", p.GossipAddress()),
		zap.String("member_id", p.self.ID), zap.String("remote", c.ActorSystem.Address()),
		zap.Strings("join", seeds))

	p.wg.Add(1)
	go p.runWorker()
	if !p.cfg.DisableRefusalProbe {
		p.wg.Add(1)
		go p.runRefusalProber(newRefusalProber((&net.Dialer{}).DialContext))
	}
	if len(seeds) == 0 {
		p.markJoined()
	} else {
		p.wg.Add(1)
		go p.runJoin(seeds)
	}
	return nil
}

// StartClient implements protocluster.ClusterProvider. Every TicketBlitz node is a full
// member; client mode is not supported.
func (p *Provider) StartClient(*protocluster.Cluster) error {
	return errors.New("cluster provider: client mode not supported")
}

// Shutdown implements protocluster.ClusterProvider. graceful announces the leave in the
// node's metadata (the others stop placing identities here) and leaves memberlist, waiting
// up to 2 s for each message to go out, before stopping it; otherwise memberlist stops at
// once and the others detect the failure. Later calls return the first call's result.
func (p *Provider) Shutdown(graceful bool) error {
	return p.stop(graceful, defaultLeaveTimeout)
}

// Joined is closed once the node has joined: at start for the first node, after the
// first successful join otherwise.
func (p *Provider) Joined() <-chan struct{} { return p.joined }

// GossipAddress returns this node's memberlist address ("ip:port"), the address other
// nodes put in Join; empty before StartMember.
func (p *Provider) GossipAddress() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.records[p.name]; r != nil {
		return r.gossipAddr
	}
	return ""
}

// Members lists the members this node knows, sorted by name.
func (p *Provider) Members() []MemberInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]MemberInfo, 0, len(p.records))
	for _, r := range p.records {
		out = append(out, p.infoLocked(r))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ready reports whether the node has joined, is not leaving or stopping, has not been expelled, and
// protoactor's topology on this node contains it (it is not blocked).
func (p *Provider) ready() bool {
	select {
	case <-p.joined:
	default:
		return false
	}
	select {
	case <-p.expelled:
		return false
	default:
	}
	if p.leaving.Load() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.stopped && p.topology[p.self.ID]
}

func (p *Provider) isJoined() bool {
	select {
	case <-p.joined:
		return true
	default:
		return false
	}
}

func (p *Provider) markJoined() {
	p.joinOnce.Do(func() { close(p.joined) })
	p.signal()
}

// signal asks the worker for a sync without ever blocking.
func (p *Provider) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// stop stops the worker and the join loop, then leaves (graceful, once joined) and stops
// memberlist. It runs once; concurrent callers wait for the first.
func (p *Provider) stop(graceful bool, leaveTimeout time.Duration) error {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.stopped = true
		p.mu.Unlock()
		close(p.quit)
		if p.ml == nil {
			return
		}
		leave := graceful && p.isJoined()
		if !leave {
			// Immediately, also cutting short a join in progress.
			if err := p.ml.Shutdown(); err != nil {
				p.stopErr = fmt.Errorf("cluster provider: stop memberlist: %w", err)
			}
		}
		p.wg.Wait()
		if leave {
			if err := p.announceLeaving(leaveTimeout); err != nil {
				p.log.Warn("announcing the leave", zap.String("node", p.name), zap.Error(err))
			}
			if err := p.ml.Leave(leaveTimeout); err != nil {
				p.stopErr = fmt.Errorf("cluster provider: leave: %w", err)
			}
			if err := p.ml.Shutdown(); err != nil && p.stopErr == nil {
				p.stopErr = fmt.Errorf("cluster provider: stop memberlist: %w", err)
			}
		}
		p.cluster.ActorSystem.EventStream.Unsubscribe(p.topologySub)
		p.log.Info("memberlist stopped", zap.String("node", p.name), zap.Bool("left", leave))
	})
	return p.stopErr
}

// announceLeaving re-advertises this node with Leaving set and waits for the broadcast;
// nothing is sent when the leave was announced already.
func (p *Provider) announceLeaving(timeout time.Duration) error {
	_, err := p.announce(func(m *nodeMeta) { m.Leaving = true }, timeout)
	return err
}

// onTopology records the member ids of every topology protoactor publishes. It runs on
// the publishing goroutine (the worker) under protoactor's member-list lock.
func (p *Provider) onTopology(evt any) {
	t, ok := evt.(*protocluster.ClusterTopology)
	if !ok {
		return
	}
	ids := make(map[string]bool, len(t.Members))
	for _, m := range t.Members {
		ids[m.Id] = true
	}
	p.mu.Lock()
	p.topology = ids
	p.mu.Unlock()
}

// seeds returns Join without this node's own address.
func (p *Provider) seeds() []string {
	own := map[string]bool{p.cfg.Bind: true, p.GossipAddress(): true}
	if p.cfg.Advertise != "" {
		own[p.cfg.Advertise] = true
	}
	var out []string
	for _, s := range p.cfg.Join {
		if !own[s] {
			out = append(out, s)
		}
	}
	return out
}

func (p *Provider) memberlistConfig() (*memberlist.Config, error) {
	conf := memberlist.DefaultLocalConfig()
	conf.Name = p.name
	ip, port, err := splitIPPort(p.cfg.Bind)
	if err != nil {
		return nil, fmt.Errorf("bind %q: %w", p.cfg.Bind, err)
	}
	conf.BindAddr, conf.BindPort, conf.AdvertisePort = ip.String(), port, port
	if p.cfg.Advertise != "" {
		aip, aport, err := splitIPPort(p.cfg.Advertise)
		if err != nil {
			return nil, fmt.Errorf("advertise %q: %w", p.cfg.Advertise, err)
		}
		conf.AdvertiseAddr = aip.String()
		if aport != 0 {
			conf.AdvertisePort = aport
		}
	}
	conf.Label = p.cfg.ClusterName
	if len(p.cfg.GossipKey) > 0 {
		conf.SecretKey = append([]byte(nil), p.cfg.GossipKey...)
	}
	conf.ProbeInterval = p.cfg.ProbeInterval
	conf.ProbeTimeout = p.cfg.ProbeInterval / 2
	conf.SuspicionMult = suspicionMult
	conf.SuspicionMaxTimeoutMult = suspicionMaxTimeoutMult
	conf.GossipInterval = gossipInterval
	conf.GossipToTheDeadTime = gossipToTheDead
	conf.PushPullInterval = pushPullInterval
	conf.TCPTimeout = tcpTimeout
	conf.DeadNodeReclaimTime = deadNodeReclaim
	h := hooks{p: p}
	conf.Delegate, conf.Events, conf.Ping = h, h, h
	conf.Logger = log.New(memberlistLog{log: p.cfg.Logger.Named("memberlist"), noise: p.noise}, "", 0)
	return conf, nil
}
