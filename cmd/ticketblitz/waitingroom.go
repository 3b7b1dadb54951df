package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/http/live"
	"github.com/ticketblitz/ticketblitz/persistence"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// waitingRooms are one node's parts of the waiting rooms.
type waitingRooms struct {
	store   *persistence.WaitingRooms
	service *waitingroom.Service
}

// startWaitingRooms starts the node's waiting-room service (its cache of enabled rooms,
// read once before the node serves), the admission controller that runs while this
// node holds the lease, and the queue websocket's poller, all in the background group.
// The section signals are started with the section actors.
// Joins are charged to limiter in their own script (the HTTP layer's JoinsRateLimited).
func startWaitingRooms(ctx context.Context, s *server, bgCtx context.Context, rdb *redis.Client, tracer actors.Tracer,
	reg prometheus.Registerer, limiter *persistence.RateLimiter) (waitingRooms, error) {
	cfg, log := s.cfg, s.log.Named("waitingroom")
	store := persistence.NewWaitingRooms(rdb, cfg.RedisPrefix)
	store.ChargeJoinsTo(limiter)
	svc, err := waitingroom.NewService(waitingroom.ServiceConfig{
		Store: store, Secret: []byte(cfg.JWTSecret), Logger: log, Node: cfg.NodeName, Tracer: tracer, Uses: store,
	})
	if err != nil {
		return waitingRooms{}, err
	}
	if err := svc.Refresh(ctx); err != nil {
		log.Warn("could not read the waiting rooms yet; holds need no pass until they are read", zap.Error(err))
	}
	s.bg.Go("waiting rooms", func() error { return svc.Run(bgCtx) })
	controller, err := waitingroom.NewController(waitingroom.ControllerConfig{
		Store: store, Headroom: store, Leases: persistence.NewLeases(rdb, cfg.RedisPrefix), Node: cfg.NodeName,
		Logger: s.log.Named("admission"), Inventory: seatsLeft{s.store}, Uses: store, TicketRetention: cfg.QueueTicketRetention,
	})
	if err != nil {
		return waitingRooms{}, err
	}
	s.bg.Go("admission", func() error { return controller.Run(bgCtx) })
	queue, err := live.NewQueueFeed(live.QueueFeedConfig{Tickets: svc, Logger: s.log.Named("live"), Registerer: reg,
		Upgrades: cfg.QueueWSUpgrades})
	if err != nil {
		return waitingRooms{}, err
	}
	s.queue = queue
	s.bg.Go("queue feed", func() error { return queue.Run(bgCtx) })
	return waitingRooms{store: store, service: svc}, nil
}

// seatsLeft reads an event's seats left from the store's committed state: the
// controller's Inventory.
type seatsLeft struct{ store *persistence.Store }

// SeatsAvailable sums the event's sections' seats neither held nor sold.
func (s seatsLeft) SeatsAvailable(ctx context.Context, eventID string) (int, error) {
	e, err := s.store.GetEvent(ctx, eventID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sec := range e.Sections {
		n += max(sec.Available, 0)
	}
	return n, nil
}

// httpBacklog is how many requests the node's HTTP server is answering (zero before it
// is built): the waiting rooms' signals carry it.
func (s *server) httpBacklog() int {
	if hs := s.backlog.Load(); hs != nil {
		return int(hs.InFlight())
	}
	return 0
}
