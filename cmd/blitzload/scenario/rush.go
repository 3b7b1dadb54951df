package scenario

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/fdlimit"
)

// BareStarter starts the bare reference server and returns its base URL and a stop
// function.
type BareStarter func(ctx context.Context) (base string, stop func() error, err error)

// RunFlashQueue runs the flash sale through a waiting room (cfg.Queue, fifo or
// random): an admin opens the room of a fresh event, every fan joins at one instant
// on its warm keep-alive connection, follows its ticket (websocket, or polling past
// the open-file budget) to a pass, holds 1–4 best-available seats with it and goes
// down the winner's paths. In the same run the same fans rush a second fresh event
// without a room, and as many fresh fans rush a bare reference server; the report
// puts the three side by side and says which aims were met.
func RunFlashQueue(ctx context.Context, env *Env, cfg Config) (*Result, error) {
	res := &Result{Scenario: Flash, Config: cfg, Limit: env.Limit.String(), Started: time.Now()}
	if err := env.Limit.Check(cfg.Fans); err != nil {
		return nil, err
	}
	roomRef, err := rushSection(ctx, env, cfg, res, "room")
	if err != nil {
		return nil, err
	}
	plainRef, err := rushSection(ctx, env, cfg, res, "no room")
	if err != nil {
		return nil, err
	}
	wsFans := queueWebSockets(env.Limit, cfg)
	fans, err := newFans(ctx, env, cfg, "q", cfg.Fans)
	if err != nil {
		return nil, err
	}
	defer closeFans(fans)
	if err := warmUp(ctx, fans, cfg.RampUp); err != nil {
		return nil, err
	}
	room, err := openRoom(ctx, env, cfg, roomRef.EventID)
	if err != nil {
		return nil, err
	}
	if env.OnConnected != nil {
		env.OnConnected(cfg.Fans)
	}

	began := time.Now()
	env.Collector.Begin(began)
	var roomTally, plainTally flashTally
	roomRecs := make([]QueueFanRecord, len(fans))
	stopWatch := watchRoom(ctx, cfg, roomRef.EventID, began, time.Second)
	var joined *sync.WaitGroup
	if cfg.QueueFollowLate {
		joined = &sync.WaitGroup{}
		joined.Add(len(fans))
		res.note("--queue-follow-late: every fan followed its ticket only once every join was answered")
	}
	if cfg.QueueFollowNow {
		res.note("--queue-follow-now: every fan followed its ticket as soon as its join was answered, whatever follow_after_ms said")
	}
	rush(fans, func(i int, f *fan) {
		f.rushThroughRoom(ctx, cfg, roomRef.EventID, roomRef.SectionID, followsOverWS(i, cfg.Fans, wsFans), joined, &roomTally, &roomRecs[i])
	})
	watched := stopWatch()
	// Fans done early have been idle since: open again any connection the server closed.
	if err := warmUp(ctx, fans, 0); err != nil {
		return nil, err
	}
	plainRecs := make([]QueueFanRecord, len(fans))
	rush(fans, func(i int, f *fan) {
		rec := &plainRecs[i]
		rec.User, rec.EventID = f.user, plainRef.EventID
		f.rushHold(ctx, cfg, plainRef.EventID, plainRef.SectionID, "", &plainTally, rec)
		rec.Done = time.Now()
	})
	env.Collector.Finish(time.Now())
	settled := settleHolds(ctx, fans)
	closeFans(fans)

	q := &QueueRush{Order: cfg.Queue, Fans: cfg.Fans, Room: room, Watched: watched}
	q.Bare, err = runBare(ctx, env, cfg)
	if err != nil {
		res.note("bare reference: %v", err)
	}
	res.Ended = time.Now()
	q.summarize(roomRecs, plainRecs, wsFans)
	if cfg.QueueRecords != "" {
		if err := writeQueueRecordsFile(cfg.QueueRecords, roomRecs, plainRecs); err != nil {
			res.note("%v", err)
		}
	}
	res.Queue = q
	q.report(res, &roomTally, &plainTally)
	settled.note(res)
	return res, nil
}

// rushSection creates a fresh event with one reserved section for one of the rushes
// and reads its map for the audit.
func rushSection(ctx context.Context, env *Env, cfg Config, res *Result, what string) (audit.SectionRef, error) {
	sec := ReservedSection("hot", cfg.Seats, cfg.RowSize)
	ev, err := createEvent(ctx, env, cfg, "flash queue "+what, []api.SectionSpec{sec})
	if err != nil {
		return audit.SectionRef{}, err
	}
	ref := audit.SectionRef{EventID: ev.ID, SectionID: sec.ID}
	res.note("created event %s (rush %s) with section %s of %d seats", ev.ID, what, sec.ID, cfg.Seats)
	_, am, err := readMap(ctx, cfg, ref)
	if err != nil {
		return ref, err
	}
	if res.EventID == "" {
		res.EventID = ref.EventID
	}
	if res.Initial == nil {
		res.Initial = map[audit.SectionRef]audit.SeatMap{}
	}
	res.Sections = append(res.Sections, ref)
	res.Initial[ref] = am
	return ref, nil
}

// queueWebSockets is how many fans follow their ticket over a websocket: cfg.QueueWS,
// or when negative as many as the open files leave beside one connection per fan.
func queueWebSockets(l fdlimit.Limit, cfg Config) int {
	budget := int(l.Soft) - fdlimit.Reserve - cfg.Fans
	n := cfg.QueueWS
	if n < 0 || n > budget {
		n = budget
	}
	return max(0, min(n, cfg.Fans))
}

// followsOverWS reports whether fan i of fans follows its ticket over a websocket, ws
// of them doing so: the others, who poll, are spread evenly over the fans' indexes. Fans join in no order their indexes set, but the goroutines released
// last join first: when the pollers were the last 400 of 10,000 fans, 359–400 of them
// took positions among the first 1,000, the fans with a seat.
func followsOverWS(i, fans, ws int) bool {
	polling := fans - ws
	return (i+1)*polling/fans == i*polling/fans
}

// openRoom enables the event's waiting room as an admin: fifo at once, or random
// opening cfg.QueueOpensIn from now.
func openRoom(ctx context.Context, env *Env, cfg Config, eventID string) (api.WaitingRoom, error) {
	tok, err := env.Admin("blitzload-admin")
	if err != nil {
		return api.WaitingRoom{}, fmt.Errorf("admin token: %w", err)
	}
	c := api.New(api.Config{Base: cfg.Target, HTTP: api.NewHTTPClient(1, 60*time.Second), User: "blitzload-admin", Token: tok})
	defer c.Close()
	req := api.WaitingRoomRequest{Enabled: true, Order: cfg.Queue}
	if cfg.Queue == "random" {
		at := time.Now().Add(cfg.QueueOpensIn).UTC().Truncate(time.Second).Add(time.Second)
		req.OpensAt = &at
	}
	room, r := c.SetWaitingRoom(ctx, eventID, req)
	if err := r.Error(); err != nil {
		return room, fmt.Errorf("open the waiting room of %s: %w", eventID, err)
	}
	return room, nil
}

// rush releases every fan at one instant into fn and waits for them all.
func rush(fans []*fan, fn func(i int, f *fan)) {
	barrier := make(chan struct{})
	var wg sync.WaitGroup
	for i, f := range fans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-barrier
			fn(i, f)
		}()
	}
	close(barrier)
	wg.Wait()
}
