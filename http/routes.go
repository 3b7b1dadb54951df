package http

// routes registers every route of the API (docs/openapi.yaml documents each one, and a
// test holds the two together). It is the one place that says which routes exist and
// who may call them: reads of events, seat maps and waiting rooms, the operational
// probes, the OpenAPI document and the websockets are public; holds, orders, "me" and
// the queue need a token (authenticate, then the per-user rateLimit); creating events,
// setting a waiting room, the cluster routes, the flash-sale control, the section
// inspector and a section's record need an admin, and pause, resume and step exist only
// in the classroom (classroomOnly).
func (s *Server) routes() {
	app := s.app
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", s.metricsHandler())

	api := app.Group("/api/v1")
	api.Get("/openapi.json", s.openAPIDocument)
	api.Post("/auth/token", s.issueDevToken)

	api.Get("/events", s.listEvents)
	api.Post("/events", s.authenticate, s.rateLimit, s.adminOnly, s.createEvent)
	api.Get("/events/:event_id", s.getEvent)
	api.Get("/events/:event_id/sections/:section_id/seats", s.seatMap)
	api.Get("/events/:event_id/sections/:section_id/seats/:seat_id/history", s.authenticate, s.rateLimit, s.seatHistory)
	api.Post("/events/:event_id/holds", s.authenticate, s.rateLimit, s.createHold)

	api.Put("/events/:event_id/waiting-room", s.authenticate, s.rateLimit, s.adminOnly, s.putWaitingRoom)
	api.Get("/events/:event_id/waiting-room", s.getWaitingRoom)
	api.Post("/events/:event_id/queue", s.authenticate, s.rateLimitJoin, s.joinQueue)
	api.Get("/queue/:ticket_id", s.authenticate, s.rateLimit, s.getQueueTicket)

	api.Get("/me/holds", s.authenticate, s.rateLimit, s.myHolds)
	api.Get("/holds/:hold_id", s.authenticate, s.rateLimit, s.getHold)
	api.Delete("/holds/:hold_id", s.authenticate, s.rateLimit, s.releaseHold)
	api.Post("/holds/:hold_id/extend", s.authenticate, s.rateLimit, s.extendHold)
	api.Post("/holds/:hold_id/confirm", s.authenticate, s.rateLimit, s.confirmHold)

	api.Get("/orders/:order_id", s.authenticate, s.rateLimit, s.getOrder)
	api.Get("/me/orders", s.authenticate, s.rateLimit, s.myOrders)
	api.Post("/orders/:order_id/cancel", s.authenticate, s.rateLimit, s.cancelOrder)

	api.Get("/cluster", s.authenticate, s.rateLimit, s.adminOnly, s.clusterStatus)
	api.Post("/cluster/drain", s.authenticate, s.rateLimit, s.adminOnly, s.clusterDrain)

	api.Post("/admin/flash-sale", s.authenticate, s.rateLimit, s.adminOnly, s.startFlashSale)
	api.Get("/admin/flash-sale/:id", s.authenticate, s.rateLimit, s.adminOnly, s.flashSaleStatus)
	api.Get("/admin/sections/:event_id/:section_id/record", s.authenticate, s.rateLimit, s.adminOnly, s.sectionRecord)

	api.Get("/admin/sections/:event_id/:section_id", s.authenticate, s.rateLimit, s.adminOnly, s.inspectSection)
	api.Post("/admin/sections/:event_id/:section_id/pause", s.authenticate, s.rateLimit, s.adminOnly, s.classroomOnly, s.pauseSection)
	api.Post("/admin/sections/:event_id/:section_id/resume", s.authenticate, s.rateLimit, s.adminOnly, s.classroomOnly, s.resumeSection)
	api.Post("/admin/sections/:event_id/:section_id/step", s.authenticate, s.rateLimit, s.adminOnly, s.classroomOnly, s.stepSection)

	// The fault controls of a development cluster: classroom mode only (404 otherwise).
	api.Get("/admin/chaos", s.chaosEnabled, s.authenticate, s.rateLimit, s.adminOnly, s.chaosState)
	api.Post("/admin/chaos", s.chaosEnabled, s.authenticate, s.rateLimit, s.adminOnly, s.chaosApply)

	app.Get("/ws/events/:event_id", liveOrNotFound(s.cfg.Live.Events))
	app.Get("/ws/visualizer", liveOrNotFound(s.cfg.Live.Visualizer))
	app.Get("/ws/queue/:ticket_id", liveOrNotFound(s.cfg.Live.Queue))
}
