package classic

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ticketblitz/ticketblitz/actors"
)

// sectionMeta is what a request needs to know about a section and its event. None of it
// changes once the event exists.
type sectionMeta struct {
	key        actors.SectionKey
	kind       actors.SectionKind
	priceCents int64
	capacity   int
	currency   string
	maxPerUser int
}

// seatLayout is the fixed part of a reserved section's seats, ordered by row then number
// as actors.BestAvailable takes them; at maps a seat id to its index.
type seatLayout struct {
	seats []actors.Seat
	at    map[string]int
}

// sections caches every section's sectionMeta and, for best available, its seat layout.
// Events never change after creation, so an entry never goes stale; a section that does
// not exist is not cached (it may be created later).
type sections struct {
	pool    *pgxpool.Pool
	entries sync.Map // actors.SectionKey → *sectionEntry
}

// sectionEntry is one cached section; its layout is loaded on first use.
type sectionEntry struct {
	meta   sectionMeta
	mu     sync.Mutex
	layout *seatLayout
}

func newSections(pool *pgxpool.Pool) *sections { return &sections{pool: pool} }

// meta returns the section's sectionMeta; NOT_FOUND when the event or the section does
// not exist.
func (c *sections) meta(ctx context.Context, key actors.SectionKey) (sectionMeta, error) {
	e, err := c.entry(ctx, key)
	if err != nil {
		return sectionMeta{}, err
	}
	return e.meta, nil
}

func (c *sections) entry(ctx context.Context, key actors.SectionKey) (*sectionEntry, error) {
	if e, ok := c.entries.Load(key); ok {
		return e.(*sectionEntry), nil
	}
	m := sectionMeta{key: key}
	var kind string
	err := c.pool.QueryRow(ctx, `
		SELECT s.kind, s.price_cents, s.capacity, e.currency, e.max_tickets_per_user
		FROM sections s JOIN events e ON e.id = s.event_id
		WHERE s.event_id = $1 AND s.id = $2`, key.EventID, key.SectionID,
	).Scan(&kind, &m.priceCents, &m.capacity, &m.currency, &m.maxPerUser)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, &actors.Error{Code: actors.CodeNotFound, Message: "event or section not found"}
	}
	if err != nil {
		return nil, fmt.Errorf("read section %s: %w", key, err)
	}
	m.kind = actors.SectionKind(kind)
	e, _ := c.entries.LoadOrStore(key, &sectionEntry{meta: m})
	return e.(*sectionEntry), nil
}

// layout returns the reserved section's seat layout, read once.
func (c *sections) layout(ctx context.Context, key actors.SectionKey) (*seatLayout, error) {
	e, err := c.entry(ctx, key)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.layout != nil {
		return e.layout, nil
	}
	rows, err := c.pool.Query(ctx, `
		SELECT id, row_label, row_index, number, accessible
		FROM seats WHERE event_id = $1 AND section_id = $2
		ORDER BY row_index, number`, key.EventID, key.SectionID)
	if err != nil {
		return nil, fmt.Errorf("read seats of %s: %w", key, err)
	}
	l := &seatLayout{at: map[string]int{}}
	var s actors.Seat
	_, err = pgx.ForEachRow(rows, []any{&s.ID, &s.Row, &s.RowIndex, &s.Number, &s.Accessible}, func() error {
		s.Status = actors.SeatAvailable
		l.at[s.ID] = len(l.seats)
		l.seats = append(l.seats, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read seats of %s: %w", key, err)
	}
	e.layout = l
	return l, nil
}

// takenSeatsSQL reads the committed seats of a section that are not available: with the
// cached layout, that is the whole seat map best available needs, and in a sale that
// is under way it is the smaller part.
const takenSeatsSQL = `
SELECT id FROM seats WHERE event_id = $1 AND section_id = $2 AND status <> 'available'`

// queueTakenSeats queues takenSeatsSQL on b; the ids arrive in *taken.
func queueTakenSeats(b *pgx.Batch, key actors.SectionKey, taken *[]string) {
	b.Queue(takenSeatsSQL, key.EventID, key.SectionID).Query(func(rows pgx.Rows) error {
		var err error
		*taken, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
}

// withTaken returns a copy of the layout's seats with the taken ones marked held (best
// available only tells free from not free).
func (l *seatLayout) withTaken(taken []string) []actors.Seat {
	seats := make([]actors.Seat, len(l.seats))
	copy(seats, l.seats)
	for _, id := range taken {
		if i, ok := l.at[id]; ok {
			seats[i].Status = actors.SeatHeld
		}
	}
	return seats
}

// sectionOf is the key of the section a hold belongs to.
func sectionOf(h actors.Hold) actors.SectionKey {
	return actors.SectionKey{EventID: h.EventID, SectionID: h.SectionID}
}
