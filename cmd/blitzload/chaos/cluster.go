package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// holdTTL is the default hold TTL, long enough that no hold expires during a run:
// every seat's history is then made of the fans' own operations only.
const holdTTL = 10 * time.Minute

// lbInterval is how often the simulated load balancer checks each node's /readyz.
const lbInterval = 250 * time.Millisecond

// cluster is the broker and the node processes of one run, plus the load balancer's
// view of which nodes take traffic.
type cluster struct {
	cfg    Config
	dir    string
	db     string
	dbURL  string
	broker *broker
	rdb    *redis.Client
	admin  *api.Client // base is the first node
	lbHTTP *http.Client

	mu    sync.Mutex
	nodes []*node
	// ready holds the bases the load balancer sends traffic to, in node order.
	ready []string
	// out are nodes taken out of the balancer by the harness (drained), whatever
	// their /readyz says.
	out map[string]bool
}

// startCluster creates a fresh database and starts the broker and cfg.Nodes nodes: the
// first alone, the others joining it in parallel.
func startCluster(ctx context.Context, cfg Config, name string) (_ *cluster, err error) {
	c := &cluster{cfg: cfg, dir: cfg.WorkDir, db: name, out: map[string]bool{}, lbHTTP: &http.Client{Timeout: lbInterval}}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	if err := serverproc.CreateDatabase(ctx, cfg.PostgresURL, name); err != nil {
		return nil, err
	}
	if c.dbURL, err = serverproc.DatabaseURL(cfg.PostgresURL, name); err != nil {
		return nil, err
	}
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	c.rdb = redis.NewClient(opt)
	if c.broker, err = startBroker(ctx, cfg.ServerBin, c.dir+"/broker.log"); err != nil {
		return nil, err
	}
	for i := 0; i < cfg.Nodes; i++ {
		n, err := newNode(fmt.Sprintf("node%d", i+1))
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	if err := c.start(ctx, c.nodes[0], nil); err != nil {
		return nil, err
	}
	errs := make(chan error, len(c.nodes))
	for _, n := range c.nodes[1:] {
		go func() { errs <- c.start(ctx, n, []string{c.nodes[0].gossip()}) }()
	}
	for range c.nodes[1:] {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return nil, err
	}
	tok, err := c.token("chaos-admin", "admin")
	if err != nil {
		return nil, err
	}
	c.admin = api.New(api.Config{Base: c.nodes[0].base(), HTTP: api.NewHTTPClient(4, 15*time.Second), User: "chaos-admin", Token: tok})
	c.checkReady(ctx)
	return c, nil
}

// token mints a token the nodes accept.
func (c *cluster) token(user, role string) (string, error) {
	return api.LocalTokens{Secret: []byte(c.cfg.JWTSecret), TTL: 2 * time.Hour}.Mint(user, role)
}

// addNode starts one more node, joining through every live node.
func (c *cluster) addNode(ctx context.Context) (*node, error) {
	c.mu.Lock()
	n, err := newNode(fmt.Sprintf("node%d", len(c.nodes)+1))
	if err == nil {
		c.nodes = append(c.nodes, n)
	}
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return n, c.start(ctx, n, c.joinList(n))
}

// restart starts a node that has exited again, on the same name and addresses.
func (c *cluster) restart(ctx context.Context, n *node) error {
	if n.srv != nil && !n.srv.Exited() {
		return fmt.Errorf("restart %s: still running", n.name)
	}
	return c.start(ctx, n, c.joinList(n))
}

// joinList is the gossip address of every node but n whose process runs.
func (c *cluster) joinList(n *node) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.nodes {
		if m != n && m.srv != nil && !m.srv.Exited() {
			out = append(out, m.gossip())
		}
	}
	return out
}

// node returns the node with the given name.
func (c *cluster) node(name string) *node {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

// takeOut removes a node from the load balancer for good (it is being drained).
func (c *cluster) takeOut(n *node) {
	c.mu.Lock()
	c.out[n.base()] = true
	ready := c.ready[:0:0]
	for _, b := range c.ready {
		if b != n.base() {
			ready = append(ready, b)
		}
	}
	c.ready = ready
	c.mu.Unlock()
}

// targets returns the bases the load balancer currently sends traffic to; when none
// answers, every node's base (a fan keeps trying rather than giving up).
func (c *cluster) targets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ready) > 0 {
		return c.ready
	}
	var all []string
	for _, n := range c.nodes {
		if !c.out[n.base()] {
			all = append(all, n.base())
		}
	}
	return all
}

// runBalancer re-checks every node's /readyz each lbInterval until ctx ends.
func (c *cluster) runBalancer(ctx context.Context) {
	t := time.NewTicker(lbInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.checkReady(ctx)
	}
}

// checkReady asks every node's /readyz once, concurrently, and publishes the result.
func (c *cluster) checkReady(ctx context.Context) {
	c.mu.Lock()
	nodes := append([]*node(nil), c.nodes...)
	c.mu.Unlock()
	ok := make([]bool, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.base()+"/readyz", nil)
			if err != nil {
				return
			}
			resp, err := c.lbHTTP.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			ok[i] = resp.StatusCode == http.StatusOK
		}()
	}
	wg.Wait()
	c.mu.Lock()
	var ready []string
	for i, n := range nodes {
		if ok[i] && !c.out[n.base()] {
			ready = append(ready, n.base())
		}
	}
	c.ready = ready
	c.mu.Unlock()
}

// redisPrefix starts the Redis keys of this run's nodes: their database's name, so that
// runs side by side never share leases or rate limits.
func (c *cluster) redisPrefix() string { return "tb:" + c.db + ":" }

// leaseOwners reads which node holds each section's Redis lease: the section actors'
// lease value is "<node name>/<member id>/<activation id>". It is how the harness learns where a
// section lives, to name the sections a fault moves; the audit never uses it.
func (c *cluster) leaseOwners(ctx context.Context, eventID string, sections []string) map[string]string {
	out := make(map[string]string, len(sections))
	for _, s := range sections {
		v, err := c.rdb.Get(ctx, c.redisPrefix()+"lease:section:"+eventID+"/"+s).Result()
		if err != nil {
			continue
		}
		owner, _, _ := strings.Cut(v, "/")
		out[s] = owner
	}
	return out
}

// stop shuts every process down (SIGCONT first, in case one is stopped), the broker
// last, and drops the database unless cfg.KeepDatabase.
func (c *cluster) stop() {
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		if n.srv == nil || n.srv.Exited() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = n.srv.Signal(sigCont)
			_ = n.srv.Stop(15 * time.Second)
		}()
	}
	wg.Wait()
	if c.broker != nil {
		c.broker.stop()
	}
	if c.rdb != nil {
		_ = c.rdb.Close()
	}
	if c.db != "" && !c.cfg.KeepDatabase {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := serverproc.DropDatabase(ctx, c.cfg.PostgresURL, c.db); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(c.cfg.progress(), "chaos: drop database %s: %v\n", c.db, err)
		}
	}
}
