package soak

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/chaos"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// tables are the tables whose rows each sample counts: the sale's own and the history
// the pruner keeps to its retention.
var tables = []string{"holds", "orders", "tickets", "idempotency_keys", "outbox", "notifications"}

// Sample is what the cluster kept at one instant of the run.
type Sample struct {
	// At is the time since the sale started.
	At time.Duration `json:"at_ns"`
	// Decisions is the fans' definite answers to state-changing calls so far.
	Decisions int64 `json:"decisions"`
	// Rows is count(*) of each table.
	Rows map[string]int64 `json:"rows"`
	// Held counts holds in status held; Overdue those of them past expires_at plus the
	// expiry slack (database time).
	Held    int64 `json:"held"`
	Overdue int64 `json:"overdue"`
	// Unpublished counts outbox records not yet published; OutboxLag is the age of the
	// oldest of them (0 when there is none).
	Unpublished int64         `json:"unpublished"`
	OutboxLag   time.Duration `json:"outbox_lag_ns"`
	// RSS is each running node's resident memory in KiB (VmRSS), by node name; Heap
	// its Go heap in use in KiB (go_memstats_heap_inuse_bytes of its /metrics).
	RSS  map[string]int64 `json:"rss_kib"`
	Heap map[string]int64 `json:"heap_kib,omitempty"`
}

// sampler reads samples from the run's database and the node processes.
type sampler struct {
	http  *http.Client
	conn  *pgx.Conn
	k     *chaos.Cluster
	slack time.Duration
}

func newSampler(ctx context.Context, k *chaos.Cluster, slack time.Duration) (*sampler, error) {
	conn, err := pgx.Connect(ctx, k.DatabaseURL())
	if err != nil {
		return nil, fmt.Errorf("soak: connect to the run's database: %w", err)
	}
	return &sampler{http: &http.Client{Timeout: 5 * time.Second}, conn: conn, k: k, slack: slack}, nil
}

func (p *sampler) close() { _ = p.conn.Close(context.Background()) }

// countsQuery counts every table's rows in one statement.
func countsQuery() string {
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = "(SELECT count(*) FROM " + t + ")"
	}
	return "SELECT " + strings.Join(parts, ", ")
}

// take reads one sample.
func (p *sampler) take(ctx context.Context, at time.Duration, decisions int64) (Sample, error) {
	s := Sample{At: at, Decisions: decisions, Rows: map[string]int64{}, RSS: map[string]int64{}, Heap: map[string]int64{}}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	counts := make([]int64, len(tables))
	dest := make([]any, len(tables))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := p.conn.QueryRow(ctx, countsQuery()).Scan(dest...); err != nil {
		return s, fmt.Errorf("soak: count rows: %w", err)
	}
	for i, t := range tables {
		s.Rows[t] = counts[i]
	}
	err := p.conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'held'),
		count(*) FILTER (WHERE status = 'held' AND expires_at < now() - make_interval(secs => $1))
		FROM holds`, p.slack.Seconds()).Scan(&s.Held, &s.Overdue)
	if err != nil {
		return s, fmt.Errorf("soak: count held holds: %w", err)
	}
	var lag float64
	err = p.conn.QueryRow(ctx, `SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
		FROM outbox WHERE published_at IS NULL`).Scan(&s.Unpublished, &lag)
	if err != nil {
		return s, fmt.Errorf("soak: outbox lag: %w", err)
	}
	s.OutboxLag = time.Duration(lag * float64(time.Second))
	for _, n := range p.k.Nodes() {
		if !n.Running {
			continue
		}
		if kb, err := serverproc.ReadRSS(n.PID); err == nil {
			s.RSS[n.Name] = kb
		}
		if kb, err := heapInUse(ctx, p.http, n.Base); err == nil {
			s.Heap[n.Name] = kb
		}
	}
	return s, nil
}

// liveHolds counts each section's holds that are held and not yet expired.
func (p *sampler) liveHolds(ctx context.Context, eventID string) (map[string]int, error) {
	rows, err := p.conn.Query(ctx, `SELECT section_id, count(*) FROM holds
		WHERE event_id = $1 AND status = 'held' AND expires_at > now() GROUP BY section_id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("soak: live holds: %w", err)
	}
	out := map[string]int{}
	for rows.Next() {
		var sec string
		var n int
		if err := rows.Scan(&sec, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("soak: live holds: %w", err)
		}
		out[sec] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("soak: live holds: %w", err)
	}
	return out, nil
}

// lastExpiry is the latest expires_at of a held hold, zero when none is held.
func (p *sampler) lastExpiry(ctx context.Context) (time.Time, error) {
	var t *time.Time
	if err := p.conn.QueryRow(ctx, `SELECT max(expires_at) FROM holds WHERE status = 'held'`).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("soak: last expiry: %w", err)
	}
	if t == nil {
		return time.Time{}, nil
	}
	return *t, nil
}
