package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/cluster"
	"github.com/ticketblitz/ticketblitz/events"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
	"github.com/ticketblitz/ticketblitz/http/flashsale"
	"github.com/ticketblitz/ticketblitz/http/live"
	"github.com/ticketblitz/ticketblitz/persistence"
	"github.com/ticketblitz/ticketblitz/persistence/classic"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// serve runs the server until ctx ends, then shuts down in reverse order under the
// configured grace period: stop intake and drain requests (their batches commit first),
// leave the cluster, stop the relay and consumers, close the pools.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stdout)
	cfg, err := parseConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, cfg.LogFormat, stdout)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	fields := []zap.Field{zap.String("version", version)}
	for k, v := range cfg.redacted() {
		fields = append(fields, zap.String(k, v))
	}
	log.Info("starting ticketblitz", fields...)
	applyGCPacing(cfg, log)

	srv, err := start(ctx, cfg, log)
	if err != nil {
		return err
	}
	return srv.wait(ctx)
}

// server is one running node: every component, in the order they were started.
type server struct {
	cfg    config
	log    *zap.Logger
	closed []func() // run in reverse on shutdown
	// brokers are the Kafka brokers the node publishes to (the in-process one's when
	// none are configured), for in-process tests.
	brokers []string

	bg       *tasks
	bgCancel context.CancelFunc
	node     *cluster.Node
	drain    *drainRequest
	http     *tbhttp.Server
	backlog  atomic.Pointer[tbhttp.Server] // http, for the waiting rooms' signals
	httpErr  chan error
	addr     net.Addr
	relay    relayHandle
	// The live layer: websockets and the flash-sale control, closed on shutdown.
	feed   *live.EventFeed
	queue  *live.QueueFeed
	traces *live.TraceHub
	flash  *flashsale.Sales
	// store and reservations are kept for in-process tests.
	store        *persistence.Store
	reservations tbhttp.Reservations
}

// start builds and starts every component. On error it undoes what it had started.
func start(ctx context.Context, cfg config, log *zap.Logger) (_ *server, err error) {
	if cfg.JWTSecret == "" {
		cfg.JWTSecret = devJWTSecret
		log.Warn("!!! TICKETBLITZ_JWT_SECRET is not set: tokens are signed with a PUBLIC development secret. Never run this way in production. !!!")
	}
	s := &server{cfg: cfg, log: log, httpErr: make(chan error, 1), drain: newDrainRequest()}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()
	bgCtx, cancel := context.WithCancel(context.Background())
	s.bgCancel = cancel
	s.bg, bgCtx = newTasks(bgCtx)
	s.closed = append(s.closed, cancel)

	if cfg.PprofAddr != "" {
		s.bg.Go("pprof", func() error { return servePprof(bgCtx, cfg.PprofAddr, cfg.PprofContention, log) })
	}

	pool, err := persistence.Open(ctx, cfg.PostgresURL, int32(cfg.PostgresPool))
	if err != nil {
		return nil, err
	}
	s.closed = append(s.closed, pool.Close)
	store := persistence.NewStore(pool, log.Named("store"))
	s.store = store
	if cfg.SeedDemo {
		created, err := store.SeedDemo(ctx)
		if err != nil {
			return nil, fmt.Errorf("seed demo event: %w", err)
		}
		if created {
			log.Info("created the demo event", zap.String("event_id", persistence.DemoEventID))
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	ropts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	ropts.PoolSize = 64
	rdb := redis.NewClient(ropts)
	s.closed = append(s.closed, func() { _ = rdb.Close() })
	// Every Redis call of this node passes the breaker: while Redis is away they fail at
	// once instead of each waiting out dial retries and timeouts.
	breaker, err := persistence.NewRedisBreaker(rdb, persistence.RedisBreakerConfig{Logger: log.Named("redis"), Registerer: reg})
	if err != nil {
		return nil, err
	}
	s.bg.Go("redis breaker", func() error { return breaker.Run(bgCtx) })
	if err := rdb.Ping(ctx).Err(); err != nil {
		log.Warn("redis is not answering; the node serves without it until it does (readyz reports it)", zap.Error(err))
	}
	limiter, err := persistence.NewRateLimiter(rdb, cfg.RedisPrefix, cfg.RateLimit)
	if err != nil {
		return nil, fmt.Errorf("rate limit: %w", err)
	}
	brokers := cfg.KafkaBrokers
	if len(brokers) == 0 {
		b, err := events.StartBroker(events.BrokerConfig{Retention: cfg.BrokerRetention, Logger: log.Named("broker")})
		if err != nil {
			return nil, fmt.Errorf("start in-process kafka broker: %w", err)
		}
		s.closed = append(s.closed, b.Close)
		brokers = b.Addrs()
		log.Info("in-process kafka broker started", zap.Strings("addrs", brokers))
	}
	s.brokers = brokers
	// Every node's traces reach every node's visualizer through the broker, and the last
	// minute of them greets a page opened late.
	var share atomic.Pointer[events.TraceShare]
	traces, err := live.NewTraceHub(live.TraceHubConfig{
		Node: cfg.NodeName, Logger: log.Named("visualizer"), Registerer: reg, Replay: time.Minute,
		Share: func(raw []byte) {
			if sh := share.Load(); sh != nil {
				sh.Publish(raw)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	s.traces = traces
	s.bg.Go("trace hub", func() error { return traces.Run(bgCtx) })
	var tracer actors.Tracer = traces
	s.bg.Go("trace share", func() error {
		return runTraceShare(bgCtx, &share, events.TraceShareConfig{
			Brokers: brokers, Node: cfg.NodeName, Handler: traces.Receive, Logger: log.Named("traceshare"),
		})
	})

	outbox := persistence.NewOutbox(pool)
	membership := &nodeMembership{} // the cluster node's view, once it exists
	var relayMembers events.Members
	if cfg.Strategy == "actor" {
		relayMembers = membership // a classic strategy runs no cluster node
	}
	s.bg.Go("relay", func() error {
		return runRelay(bgCtx, &s.relay, brokers, events.RelayConfig{
			Outbox: outbox, Logger: log.Named("relay"), Tracer: tracer, Node: cfg.NodeName, Registerer: reg,
			Members: relayMembers,
		})
	})
	s.bg.Go("notifications", func() error {
		return runNotifications(bgCtx, events.ConsumerConfig{Brokers: brokers, ClientID: cfg.NodeName, Sink: outbox, Logger: log.Named("notifications")})
	})
	// Every node prunes; their batches skip each other's rows (see persistence.Pruner).
	pruner, err := persistence.NewPruner(persistence.PrunerConfig{
		Pool: pool, IdempotencyRetention: cfg.IdempotencyRetention, OutboxRetention: cfg.OutboxRetention,
		NotificationsRetention: cfg.NotificationsRetention, AttemptsRetention: cfg.AttemptsRetention,
		Logger: log.Named("retention"), Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	s.bg.Go("pruner", func() error { return pruner.Run(bgCtx) })
	// A classic strategy numbers its sections' versions after the fact: its seat maps
	// must come from the strategy, which sequences first, so that a snapshot's version
	// matches its seats. The http API, the live feed and the flash sales read them.
	var payments actors.Payments = actors.SimulatedPayments{Latency: cfg.PaymentLatency}
	var sectionStore actors.Store = store
	chaos := startDevChaos(s, bgCtx, cfg)
	if chaos != nil {
		payments = slowPayments{Payments: payments, sw: chaos.switches}
		sectionStore = slowStore{Store: store, sw: chaos.switches}
	}
	var catalog tbhttp.Catalog = store
	var baseline classicStrategy
	switch cfg.Strategy {
	case "lock":
		baseline, err = classic.NewLock(classic.LockConfig{
			Pool: pool, Redis: rdb, Prefix: cfg.RedisPrefix, HoldTTL: cfg.HoldTTL,
			Payments: payments, Logger: log.Named("lock"), OnOutbox: s.relay.wake, Tracer: tracer,
		})
	case "pg":
		baseline, err = classic.NewPG(classic.PGConfig{
			Pool: pool, HoldTTL: cfg.HoldTTL, Payments: payments, Logger: log.Named("pg"),
			OnOutbox: s.relay.wake, Tracer: tracer,
		})
	}
	if err != nil {
		return nil, err
	}
	if baseline != nil {
		catalog = sequencedCatalog{Store: store, seatMaps: baseline}
	}
	feed, err := live.NewEventFeed(live.EventFeedConfig{Catalog: catalog, Logger: log.Named("live"), Registerer: reg})
	if err != nil {
		return nil, err
	}
	s.feed = feed
	// The visualizer's invariant panel: every committed version is checked as it arrives.
	invariants := live.NewInvariants(traces.Trace)
	publish := func(eventID, sectionID string, ch actors.SectionChanged) {
		feed.Publish(eventID, sectionID, ch)
		invariants.Changed(eventID, sectionID, ch)
	}
	s.bg.Go("live feed", func() error {
		return runLiveFeed(bgCtx, events.LiveFeedConfig{Brokers: brokers, Node: cfg.NodeName, Handler: publish,
			Bookings: invariants.Confirmed, Logger: log.Named("livefeed")})
	})

	rooms, err := startWaitingRooms(ctx, s, bgCtx, rdb, tracer, reg, limiter)
	if err != nil {
		return nil, err
	}

	// Holds need PostgreSQL and the cluster. Redis only carries the actor strategy's
	// leases (the PostgreSQL fence is the guarantee), the rate limits (which let
	// requests through without it) and the waiting rooms (holds check passes without
	// it; joins wait for it), so its loss degrades the node without making it unready;
	// the lock strategy's seat locks live in Redis, so there it is required.
	ready := map[string]func(context.Context) error{"postgres": store.Ping}
	degradable := map[string]func(context.Context) error{}
	if cfg.Strategy == "lock" {
		ready["redis"] = breaker.Check
	} else {
		degradable["redis"] = breaker.Check
	}
	var reservations tbhttp.Reservations
	var clusterInfo tbhttp.ClusterInfo
	var sections tbhttp.Sections // only the actor strategy has section actors
	switch {
	case baseline != nil:
		s.bg.Go("baseline expiry", func() error { return baseline.RunExpiry(bgCtx) })
		s.bg.Go("baseline sequencer", func() error { return baseline.RunSequencer(bgCtx) })
		reservations = baseline
	default:
		metrics, err := actors.NewMetrics(reg)
		if err != nil {
			return nil, err
		}
		clientCfg := actors.ClientConfig{Logger: log.Named("client")}
		kind, err := actors.NewSectionKind(actors.SectionConfig{
			Store: sectionStore, Payments: payments, Logger: log.Named("section"),
			Leases: persistence.NewLeases(rdb, cfg.RedisPrefix), Membership: membership, Tracer: tracer, Metrics: metrics,
			NodeName: cfg.NodeName, HoldTTL: cfg.HoldTTL, PassivateAfter: cfg.PassivateAfter,
			RetryHorizon: clientCfg.RetryHorizon(), MailboxLimit: cfg.MailboxLimit,
			OnCommit:       func(actors.SectionKey, int64) { s.relay.wake() },
			RecordAttempts: cfg.AttemptsLog, PauseLimit: cfg.ClassroomPause,
		})
		if err != nil {
			return nil, err
		}
		signals, err := waitingroom.NewPublisher(waitingroom.PublisherConfig{
			Sections: metrics, Sink: rooms.store, Rooms: rooms.service.EnabledRooms, Node: cfg.NodeName, Logger: log.Named("waitingroom"),
			Backlog: s.httpBacklog, Sched: waitingroom.NewSchedLatency().Read,
		})
		if err != nil {
			return nil, err
		}
		s.bg.Go("section signals", func() error { return signals.Run(bgCtx) })
		members, err := newMemberCounter(tracer, reg)
		if err != nil {
			return nil, err
		}
		ccfg, err := clusterConfig(cfg, log, members)
		if err != nil {
			return nil, err
		}
		ccfg.Kinds = append(ccfg.Kinds, kind)
		node, err := cluster.Start(ctx, ccfg)
		if err != nil {
			return nil, fmt.Errorf("start cluster node: %w", err)
		}
		s.node = node
		membership.set(node)
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ticketblitz_cluster_members", Help: "Cluster members this node sees alive.",
		}, func() float64 {
			n := 0
			for _, m := range node.Members() {
				if m.Status == cluster.StatusAlive {
					n++
				}
			}
			return float64(n)
		}))
		s.bg.Go("expulsion watch", func() error {
			select {
			case <-node.Expelled():
				return errors.New("expelled from the cluster: the other members declared this node dead")
			case <-bgCtx.Done():
				return nil
			}
		})
		client, err := actors.NewClient(node.Cluster(), store, clientCfg)
		if err != nil {
			return nil, err
		}
		reservations, sections = client, client
		// Holds expire on time in sections nobody runs (their node crashed or was
		// drained, or they passivated): one member of the cluster wakes them.
		reminder, err := actors.NewExpiryReminder(actors.ReminderConfig{
			Store: store, Sections: client, Member: node.MemberID(), Membership: node, Logger: log.Named("reminder"),
		})
		if err != nil {
			return nil, err
		}
		s.bg.Go("expiry reminder", func() error { return reminder.Run(bgCtx) })
		clusterInfo = clusterView{node: node, drain: s.drain, log: log}
		ready["cluster"] = func(ctx context.Context) error {
			if s.drain.active() {
				return errors.New("draining: handing this node's sections over and leaving the cluster")
			}
			if !node.Ready(ctx) {
				return errors.New("not joined to the cluster yet")
			}
			return nil
		}
	}

	s.reservations = reservations
	flash, err := flashsale.New(flashsale.Config{Reservations: reservations, Catalog: catalog, Logger: log.Named("flashsale")})
	if err != nil {
		return nil, err
	}
	s.flash = flash
	var attempts tbhttp.AttemptLog // only the section actors keep the attempt log
	if cfg.Strategy == "actor" && cfg.AttemptsLog {
		attempts = store
	}
	hs, err := newHTTPServer(tbhttp.Config{
		Reservations: reservations, Catalog: catalog, Attempts: attempts, RateLimiter: limiter, Cluster: clusterInfo,
		Live:       tbhttp.LiveHandlers{Events: feed.Handler(), Visualizer: traces.Handler(), Queue: s.queue.Handler()},
		FlashSales: flash, WaitingRooms: rooms.service, QueueWaits: s.queue, JoinsRateLimited: true, Sections: sections,
		JWTSecret: []byte(cfg.JWTSecret), DevTokens: cfg.DevTokens, Classroom: cfg.Classroom, Chaos: chaosPort(chaos), HoldTTL: cfg.HoldTTL,
		Ready: ready, Degradable: degradable, Registry: reg, Logger: log.Named("http"),
	})
	if err != nil {
		return nil, err
	}
	s.http = hs
	s.backlog.Store(hs)
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	s.addr = ln.Addr()
	go func() { s.httpErr <- hs.Listener(ln) }()
	log.Info("serving", zap.String("url", "http://"+displayAddr(ln.Addr())), zap.String("node", cfg.NodeName), zap.String("strategy", cfg.Strategy))
	return s, nil
}

// wait blocks until ctx ends, a drain was requested or a component fails, then shuts
// down. A drain first keeps serving for the drain delay while /readyz reports 503, so
// that load balancers stop sending; a drain that shuts down cleanly returns nil.
func (s *server) wait(ctx context.Context) error {
	bgDone := make(chan error, 1)
	go func() { bgDone <- s.bg.Wait() }()
	var cause error
	drained := false
	select {
	case <-ctx.Done():
		s.log.Info("shutting down")
	case err := <-s.httpErr:
		cause = fmt.Errorf("http server: %w", err)
	case err := <-bgDone:
		cause = fmt.Errorf("background task: %w", err)
		bgDone <- err
	case <-s.drain.Requested():
		drained = true
		cause = s.drainDelay(ctx, bgDone)
	}
	began := time.Now()
	if err := s.shutdown(); err != nil && cause == nil {
		cause = err
	}
	if drained && cause == nil {
		s.log.Info("drained", zap.Duration("shutdown", time.Since(began)))
	}
	return cause
}

// drainDelay serves on for the configured drain delay, cut short by ctx (a signal) or a
// failing component, whose error it returns.
func (s *server) drainDelay(ctx context.Context, bgDone chan error) error {
	s.log.Info("draining: serving on while load balancers notice, then shutting down", zap.Duration("drain_delay", s.cfg.DrainDelay))
	t := time.NewTimer(s.cfg.DrainDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case err := <-s.httpErr:
		return fmt.Errorf("http server: %w", err)
	case err := <-bgDone:
		bgDone <- err
		return fmt.Errorf("background task: %w", err)
	}
	return nil
}

// shutdown stops intake (flash sales, then HTTP) and drains in-flight requests (each is
// answered only after its batch commits, so nothing acknowledged is lost), closes the
// websockets, leaves the cluster, stops the background tasks and closes the pools, all
// within the grace period.
func (s *server) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	var errs []error
	if s.flash != nil {
		if err := s.flash.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.http != nil {
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	// Websockets are hijacked connections: the HTTP shutdown does not wait for them.
	if s.feed != nil {
		if err := s.feed.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.queue != nil {
		if err := s.queue.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.traces != nil {
		if err := s.traces.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.node != nil {
		if err := s.node.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("leave cluster: %w", err))
		}
	}
	s.bgCancel()
	done := make(chan error, 1)
	go func() { done <- s.bg.Wait() }()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, err)
		}
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("background tasks did not stop in time: %s", strings.Join(s.bg.Running(), ", ")))
	}
	s.closeAll()
	s.log.Info("stopped")
	return errors.Join(errs...)
}

func (s *server) closeAll() {
	for i := len(s.closed) - 1; i >= 0; i-- {
		s.closed[i]()
	}
	s.closed = nil
}

// clusterConfig turns the server's settings into the cluster node's.
func clusterConfig(cfg config, log *zap.Logger, tracer actors.Tracer) (cluster.Config, error) {
	c := cluster.Config{
		NodeName: cfg.NodeName, Bind: cfg.ClusterBind, Join: cfg.ClusterJoin, Advertise: cfg.ClusterAdvertise,
		ProbeInterval: cfg.ClusterProbe, DisableRefusalProbe: !cfg.ClusterRefusals, Logger: log.Named("cluster"), Tracer: tracer,
	}
	if cfg.ClusterKey != "" {
		key, err := base64.StdEncoding.DecodeString(cfg.ClusterKey)
		if err != nil {
			return c, fmt.Errorf("cluster key: not base64: %w", err)
		}
		c.GossipKey = key
	}
	if cfg.RemoteAddr != "" {
		host, port, err := net.SplitHostPort(cfg.RemoteAddr)
		if err != nil {
			return c, fmt.Errorf("remote addr %q: %w", cfg.RemoteAddr, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return c, fmt.Errorf("remote addr %q: bad port", cfg.RemoteAddr)
		}
		c.RemoteHost, c.RemotePort = host, p
	}
	return c, c.Validate()
}

// displayAddr makes a listener address clickable: ":8080" becomes "127.0.0.1:8080".
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// relayHandle lets section actors wake the relay, which may not exist yet while the
// producer is still connecting.
type relayHandle struct {
	mu    sync.Mutex
	relay *events.Relay
}

func (h *relayHandle) set(r *events.Relay) {
	h.mu.Lock()
	h.relay = r
	h.mu.Unlock()
}

func (h *relayHandle) wake() {
	h.mu.Lock()
	r := h.relay
	h.mu.Unlock()
	if r != nil {
		r.Wake()
	}
}

// runRelay connects a producer (retrying while Kafka is down: the outbox keeps growing
// meanwhile) and relays the outbox until ctx ends.
func runRelay(ctx context.Context, h *relayHandle, brokers []string, rc events.RelayConfig) error {
	var tail *events.Tail
	err := retryUntil(ctx, rc.Logger, "kafka producer", func() error {
		p, err := events.NewRelayProducer(brokers, rc.Node)
		if err != nil {
			return err
		}
		t, err := events.NewTail(brokers, rc.Node)
		if err != nil {
			_ = p.Close()
			return err
		}
		rc.Producer, rc.Tail, tail = p, t, t
		return nil
	})
	if err != nil {
		return nil // ctx ended while Kafka was away; the outbox keeps the records
	}
	r := events.NewRelay(rc)
	h.set(r)
	runErr := r.Run(ctx)
	// Run waited for what was in flight; acknowledgements that still come are dropped
	// so that closing never waits for a reader.
	go func() {
		for range rc.Producer.Successes() {
		}
	}()
	if err := rc.Producer.Close(); err != nil {
		rc.Logger.Warn("closing the kafka producer", zap.Error(err))
	}
	if err := tail.Close(); err != nil {
		rc.Logger.Warn("closing the kafka tail reader", zap.Error(err))
	}
	return runErr
}

// runNotifications consumes every topic into the notifications log until ctx ends.
func runNotifications(ctx context.Context, cc events.ConsumerConfig) error {
	var n *events.Notifications
	err := retryUntil(ctx, cc.Logger, "kafka consumer", func() error {
		var err error
		n, err = events.NewNotifications(cc)
		return err
	})
	if err != nil {
		return nil
	}
	return runUntilLeft(ctx, cc.Logger, notificationsLeaveWithin, n.Run, n.Close)
}

// notificationsLeaveWithin bounds how long a stopping node waits for its notifications
// consumer to leave the group. Leaving (and the offset commit before it) are requests to
// the broker that sarama does not cancel: one caught in a rebalance, after a member died
// or left, waits for the broker's answer, which can outlast the whole shutdown grace.
const notificationsLeaveWithin = 5 * time.Second

// runUntilLeft runs run until ctx ends and then waits at most within for it to return,
// closing it afterwards either way. Past within it logs and returns, leaving the
// consumer to the process's exit: the records it read but did not commit are read again
// by the group's next member, and the notifications log keeps each envelope once.
func runUntilLeft(ctx context.Context, log *zap.Logger, within time.Duration, run func(context.Context) error, closeFn func() error) error {
	done := make(chan error, 1)
	go func() {
		err := run(ctx)
		_ = closeFn()
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(within)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		log.Warn("the consumer did not leave its group in time; its uncommitted records go to the group's next member", zap.Duration("waited", within))
		return nil
	}
}

// runLiveFeed feeds every committed section version to this node's websockets until
// ctx ends, connecting as soon as Kafka answers.
func runLiveFeed(ctx context.Context, lc events.LiveFeedConfig) error {
	var f *events.LiveFeed
	err := retryUntil(ctx, lc.Logger, "kafka live feed", func() error {
		var err error
		f, err = events.NewLiveFeed(lc)
		return err
	})
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }()
	return f.Run(ctx)
}

// runTraceShare connects the visualizer's share of traces, retrying until the broker
// answers, makes it the one the hub publishes to, and runs it until ctx ends.
func runTraceShare(ctx context.Context, to *atomic.Pointer[events.TraceShare], tc events.TraceShareConfig) error {
	var sh *events.TraceShare
	err := retryUntil(ctx, tc.Logger, "visualizer trace share", func() error {
		var err error
		sh, err = events.NewTraceShare(tc)
		return err
	})
	if err != nil {
		return nil
	}
	to.Store(sh)
	defer to.Store(nil)
	return sh.Run(ctx)
}

// retryUntil calls f until it succeeds or ctx ends, backing off up to 5 s and logging
// the first failure and the recovery.
func retryUntil(ctx context.Context, log *zap.Logger, what string, f func() error) error {
	wait := 200 * time.Millisecond
	failed := false
	for {
		err := f()
		if err == nil {
			if failed {
				log.Info(what + " connected")
			}
			return nil
		}
		if !failed {
			log.Warn(what+" unavailable; retrying", zap.Error(err))
			failed = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}
