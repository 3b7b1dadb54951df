package http

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Defaults for the optional Config fields.
const (
	DefaultTokenTTL       = 24 * time.Hour
	DefaultBodyLimit      = 1 << 20
	DefaultRequestTimeout = 10 * time.Second
)

// Config wires a Server. Reservations, Catalog, JWTSecret and Logger are required; every
// other zero value works.
type Config struct {
	// Reservations makes every seat decision.
	Reservations Reservations
	// Catalog answers reads.
	Catalog Catalog
	// Attempts serves seats' histories; nil (a strategy that keeps no attempt log) makes
	// that route answer 501 NOT_RECORDED.
	Attempts AttemptLog
	// RateLimiter limits each user's requests; nil means no limit.
	RateLimiter RateLimiter
	// Cluster serves /api/v1/cluster; nil makes those routes answer 503 UNAVAILABLE.
	Cluster ClusterInfo
	// Live serves the websockets; each nil handler makes its route answer 404
	// NOT_FOUND.
	Live LiveHandlers
	// FlashSales serves /api/v1/admin/flash-sale; nil makes those routes answer 404
	// NOT_FOUND to admins (others are refused first, as on every admin route).
	FlashSales FlashSales
	// OpenAPI is the API's OpenAPI document as JSON (package docs' OpenAPIJSON), served
	// as it is on GET /api/v1/openapi.json; nil makes that route answer 404 NOT_FOUND.
	// The server never modifies it.
	OpenAPI []byte
	// WaitingRooms serves the waiting-room routes and checks the queue pass of every
	// hold; nil makes those routes answer 404 NOT_FOUND and lets holds through.
	WaitingRooms WaitingRooms
	// QueueWaits lets GET /api/v1/queue/{ticket_id}?wait_ms= wait for a waiting ticket
	// to change; nil answers such a read at once, as without wait_ms.
	QueueWaits QueueWaits
	// JoinsRateLimited says WaitingRooms charges each join to the per-user rate limit
	// itself, in the join's own step (persistence.WaitingRooms.ChargeJoinsTo), and fails
	// a refused one RATE_LIMITED: the join route then leaves the check to it.
	JoinsRateLimited bool
	// JWTSecret signs and checks HS256 bearer tokens.
	JWTSecret []byte
	// DevTokens enables POST /api/v1/auth/token, which mints fan tokens for anybody.
	DevTokens bool
	// Sections serves the section inspector and the classroom's pause, resume and step;
	// nil (a strategy without section actors) makes those routes answer 501
	// NOT_RECORDED.
	Sections Sections
	// Classroom enables the teaching controls (pause, resume and step a section, fault
	// switches); without it their routes answer 404.
	Classroom bool
	// Chaos serves /api/v1/admin/chaos, the fault controls of a development cluster,
	// with Classroom; nil makes those routes answer 404.
	Chaos Chaos
	// TokenTTL is the lifetime of dev tokens (default 24h).
	TokenTTL time.Duration
	// HoldTTL is the hold lifetime the reservations use; routes added through Mount can
	// read it from Server.HoldTTL. Zero means unknown.
	HoldTTL time.Duration
	// Ready holds the named checks of /readyz; each must pass for the node to be ready.
	Ready map[string]func(context.Context) error
	// Degradable holds the named checks of /readyz of what the node can serve without
	// (Redis, whose leases and rate limits are an optimisation): a failing one is
	// reported as "degraded: <error>" and the node stays ready. A name is in Ready or
	// Degradable, not both.
	Degradable map[string]func(context.Context) error
	// Registry receives the HTTP metrics and is served on /metrics; nil means a
	// registry of the server's own.
	Registry *prometheus.Registry
	// Logger receives one line per failed request and the rate limiter's outages.
	Logger *zap.Logger
	// Clock tells time for tokens (default time.Now).
	Clock func() time.Time
	// BodyLimit is the largest request body in bytes (default 1 MiB).
	BodyLimit int
	// RequestTimeout bounds the context each handler passes on (default 10s).
	RequestTimeout time.Duration
}

func (c *Config) validate() error {
	var problems []error
	if c.Reservations == nil {
		problems = append(problems, errors.New("reservations is required"))
	}
	if c.Catalog == nil {
		problems = append(problems, errors.New("catalog is required"))
	}
	if len(c.JWTSecret) == 0 {
		problems = append(problems, errors.New("jwt secret is required"))
	}
	if c.Logger == nil {
		problems = append(problems, errors.New("logger is required"))
	}
	if c.TokenTTL < 0 {
		problems = append(problems, fmt.Errorf("token ttl %s is negative", c.TokenTTL))
	}
	if c.HoldTTL < 0 {
		problems = append(problems, fmt.Errorf("hold ttl %s is negative", c.HoldTTL))
	}
	if c.BodyLimit < 0 {
		problems = append(problems, fmt.Errorf("body limit %d is negative", c.BodyLimit))
	}
	if c.RequestTimeout < 0 {
		problems = append(problems, fmt.Errorf("request timeout %s is negative", c.RequestTimeout))
	}
	for _, checks := range []map[string]func(context.Context) error{c.Ready, c.Degradable} {
		for name, check := range checks {
			if name == "" {
				problems = append(problems, errors.New("a readiness check has no name"))
			}
			if check == nil {
				problems = append(problems, fmt.Errorf("readiness check %q is nil", name))
			}
		}
	}
	for name := range c.Degradable {
		if _, both := c.Ready[name]; both {
			problems = append(problems, fmt.Errorf("readiness check %q is both required and degradable", name))
		}
	}
	return errors.Join(problems...)
}

// withDefaults returns c with every zero optional field set to its default.
func (c Config) withDefaults() Config {
	if c.TokenTTL == 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.BodyLimit == 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	return c
}

// Server is the HTTP API of one node.
type Server struct {
	cfg     Config
	app     *fiber.App
	log     *zap.Logger
	decode  *decoder
	metrics *metrics
	// tokens remembers the bearer tokens already verified.
	tokens *tokenCache
	// ids makes request ids.
	ids *requestIDs
	// deadlines makes the handlers' contexts.
	deadlines *requestDeadlines
	// macs are HMAC states keyed with the token secret.
	macs *macPool
	// limiterDown is true while the rate limiter fails, so an outage is logged once.
	limiterDown atomic.Bool
	// inFlight counts the requests being answered (InFlight).
	inFlight atomic.Int64
	// listening is the listener Listener serves on, and whether Shutdown was called.
	listening struct {
		sync.Mutex
		ln      net.Listener
		stopped bool
	}
	// closing is closed when Shutdown begins: the reads waiting for their tickets'
	// change (wait_ms) answer at once, so that they do not hold the shutdown up.
	closing chan struct{}
}

// InFlight returns how many requests the server is answering now, websocket upgrades
// aside: its backlog, which the waiting room's controller reads so that it does not
// admit fans whose holds would queue behind it. An upgrade reads one record and hands
// the connection over; in a rush through the waiting room, thousands of fans open their
// queue websockets at once after their joins, and counting them kept the room from
// admitting anyone for half a second or more while the sections sat idle (a node whose
// cores they saturate still shows in the goroutines' wait for a CPU).
func (s *Server) InFlight() int64 { return s.inFlight.Load() }

// New builds the server and registers every route. It returns an error when cfg is
// incomplete or the metrics cannot be registered.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("http config: %w", err)
	}
	cfg = cfg.withDefaults()
	dec, err := newDecoder()
	if err != nil {
		return nil, fmt.Errorf("http decoder: %w", err)
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("http metrics: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, decode: dec, metrics: m, tokens: newTokenCache(maxVerifiedTokens), ids: newRequestIDs(),
		deadlines: newRequestDeadlines(cfg.RequestTimeout), macs: newMACPool(cfg.JWTSecret), closing: make(chan struct{})}
	s.app = fiber.New(fiber.Config{
		AppName:               "ticketblitz",
		DisableStartupMessage: true,
		CaseSensitive:         true,
		BodyLimit:             cfg.BodyLimit,
		ReadBufferSize:        4 << 10,
		// Releases a connection's request buffers whenever nothing is buffered, so that
		// an idle keep-alive connection, and a websocket once upgraded, hold none.
		ReduceMemoryUsage: true,
		IdleTimeout:       2 * time.Minute,
		ErrorHandler:      s.handleError,
	})
	s.app.Use(s.observe)
	s.routes()
	return s, nil
}

// App returns the Fiber app, for tests (app.Test) and for embedding.
func (s *Server) App() *fiber.App { return s.app }

// HoldTTL returns the configured hold lifetime (zero when unknown).
func (s *Server) HoldTTL() time.Duration { return s.cfg.HoldTTL }

// Mount lets other parts of the program add routes (the web page) to the app. Call it
// before Listen. Mounted routes run behind the same request ids, metrics
// and error handling; requests that match no route still answer 404 NOT_FOUND.
func (s *Server) Mount(register func(app *fiber.App)) {
	register(s.app)
}

// Listen serves on addr until Shutdown, through Listener: after a Shutdown it returns
// nil at once.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen(s.app.Config().Network, addr)
	if err != nil {
		return fmt.Errorf("http listen on %s: %w", addr, err)
	}
	return s.Listener(ln)
}

// Listener serves on ln until Shutdown, and returns nil then. Called after Shutdown, it
// closes ln and returns at once.
func (s *Server) Listener(ln net.Listener) error {
	s.listening.Lock()
	if s.listening.stopped {
		s.listening.Unlock()
		_ = ln.Close()
		return nil
	}
	s.listening.ln = ln
	s.listening.Unlock()
	if err := s.app.Listener(wrapListener(ln)); err != nil {
		if errors.Is(err, net.ErrClosed) && s.shutDown() {
			return nil
		}
		return fmt.Errorf("http serve on %s: %w", ln.Addr(), err)
	}
	return nil
}

// shutDown reports whether Shutdown was called.
func (s *Server) shutDown() bool {
	s.listening.Lock()
	defer s.listening.Unlock()
	return s.listening.stopped
}

// Shutdown stops accepting connections and waits for in-flight requests to finish, or
// for ctx to end. It also closes Listener's listener itself: fasthttp closes only the
// listeners its serving loop has registered, so a Shutdown that came before the loop
// started would leave it accepting for ever.
func (s *Server) Shutdown(ctx context.Context) error {
	s.listening.Lock()
	if !s.listening.stopped {
		close(s.closing)
	}
	s.listening.stopped = true
	ln := s.listening.ln
	s.listening.Unlock()
	err := s.app.ShutdownWithContext(ctx)
	if ln != nil {
		_ = ln.Close()
	}
	if err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
