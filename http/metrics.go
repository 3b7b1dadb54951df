package http

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// unmatchedRoute labels requests that matched no route, so that scanners cannot blow up
// the number of series.
const unmatchedRoute = "unmatched"

// metrics are the HTTP layer's Prometheus collectors.
type metrics struct {
	duration      *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	limiterErrors prometheus.Counter

	// observers are duration's histograms by label values, looked up once each: the
	// values come from fixed sets (route patterns, methodLabel, the statuses answered).
	mu        sync.RWMutex
	observers map[observerKey]prometheus.Observer
}

// observerKey is one series of duration.
type observerKey struct {
	route, method string
	status        int
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "ticketblitz",
			Subsystem: "http",
			Name:      "request_duration_seconds",
			Help:      "Time to answer an HTTP request, by route pattern, method and status.",
			Buckets:   []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "ticketblitz",
			Subsystem: "http",
			Name:      "requests_in_flight",
			Help:      "HTTP requests being answered right now.",
		}),
		observers: map[observerKey]prometheus.Observer{},
		limiterErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "ticketblitz",
			Subsystem: "http",
			Name:      "rate_limiter_errors_total",
			Help:      "Rate limiter failures; the requests were let through.",
		}),
	}
	for _, c := range []prometheus.Collector{m.duration, m.inFlight, m.limiterErrors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	k := observerKey{route: route, method: method, status: status}
	m.mu.RLock()
	o, ok := m.observers[k]
	m.mu.RUnlock()
	if !ok {
		o = m.duration.WithLabelValues(route, method, strconv.Itoa(status))
		m.mu.Lock()
		m.observers[k] = o
		m.mu.Unlock()
	}
	o.Observe(d.Seconds())
}

// routeLabel is the pattern of the route that answered ("/api/v1/holds/:hold_id"),
// never the raw path. err is what the chain returned: Fiber's own 404 and 405 mean no
// route matched.
func routeLabel(c *fiber.Ctx, err error) string {
	if fe, ok := findError[*fiber.Error](err); ok && (fe.Code == fiber.StatusNotFound || fe.Code == fiber.StatusMethodNotAllowed) {
		return unmatchedRoute
	}
	return c.Route().Path
}

// methodLabel maps the request method onto a fixed set of constants: label values must
// not alias Fiber's reused buffers, and unknown methods must not add series.
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodPatch:
		return fiber.MethodPatch
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodOptions:
		return fiber.MethodOptions
	}
	return "OTHER"
}
