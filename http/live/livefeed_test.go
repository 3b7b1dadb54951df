package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/IBM/sarama"
	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/events"
	"github.com/ticketblitz/ticketblitz/http/live"
)

// This test lives outside package live so that it may wire live and events together
// the way cmd does; the live package itself imports nothing of TicketBlitz but actors.

// oneEventCatalog serves event e1 with a reserved section A and a GA section floor,
// both at version 0.
type oneEventCatalog struct{}

func (oneEventCatalog) GetEvent(_ context.Context, id string) (actors.Event, error) {
	if id != "e1" {
		return actors.Event{}, actors.ErrNotFound
	}
	return actors.Event{ID: "e1", Name: "Night Drop", Currency: "USD", Sections: []actors.Section{
		{ID: "A", Kind: actors.KindReserved, Capacity: 2},
		{ID: "floor", Kind: actors.KindGeneralAdmission, Capacity: 100},
	}}, nil
}

func (oneEventCatalog) SeatMap(_ context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	switch sectionID {
	case "A":
		return actors.SeatMap{SectionID: "A", Kind: actors.KindReserved, Seats: []actors.Seat{
			{ID: "A-1", Status: actors.SeatAvailable}, {ID: "A-2", Status: actors.SeatAvailable}}}, nil
	case "floor":
		return actors.SeatMap{SectionID: "floor", Kind: actors.KindGeneralAdmission, Capacity: 100, Available: 100}, nil
	}
	return actors.SeatMap{}, actors.ErrNotFound
}

// node is one server with its event feed and live feed, on a shared broker.
type node struct {
	base string
	feed *live.EventFeed
}

func startNode(t *testing.T, name string, brokers []string) node {
	t.Helper()
	log := zap.NewNop()
	feed, err := live.NewEventFeed(live.EventFeedConfig{Catalog: oneEventCatalog{}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/ws/events/:event_id", feed.Handler())
	stream, err := events.NewLiveFeed(events.LiveFeedConfig{Brokers: brokers, Node: name, Handler: feed.Publish, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- stream.Run(ctx) }()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := feed.Close(sctx); err != nil {
			t.Error(err)
		}
		if err := app.ShutdownWithContext(sctx); err != nil {
			t.Error(err)
		}
		// fasthttp's shutdown closes only the listeners its Serve registered.
		_ = ln.Close()
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Error(err)
		}
		cancel()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	})
	select {
	case <-stream.Ready():
	case <-time.After(30 * time.Second):
		t.Fatalf("the live feed of %s never became ready", name)
	}
	return node{base: "ws://" + ln.Addr().String(), feed: feed}
}

// TestDeltasReachSubscribersOfEveryNode publishes section changes to the in-process
// broker as the outbox relay would; the fans of two nodes each get the snapshot and
// then every version, in order.
func TestDeltasReachSubscribersOfEveryNode(t *testing.T) {
	broker, err := events.StartBroker(events.BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	nodes := []node{startNode(t, "n1", broker.Addrs()), startNode(t, "n2", broker.Addrs())}

	var fans []*fws.Conn
	for _, n := range nodes {
		conn, resp, err := fws.DefaultDialer.Dial(n.base+"/ws/events/e1", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Cleanup(func() { conn.Close() })
		if m := readMessage(t, conn); m["type"] != "snapshot" {
			t.Fatalf("first message %v, want the snapshot", m)
		}
		fans = append(fans, conn)
	}

	producer, err := events.NewProducer(broker.Addrs(), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = producer.Close() })
	const versions = 30
	for v := int64(1); v <= versions; v++ {
		var msgs []*sarama.ProducerMessage
		a := actors.SectionChanged{Version: v, Kind: actors.KindReserved,
			Changes: []actors.SeatStatusChange{{ID: fmt.Sprintf("A-%d", 1+v%2), Status: actors.SeatHeld}}}
		floor := actors.SectionChanged{Version: v, Kind: actors.KindGeneralAdmission, Capacity: 100, Available: 100 - int(v), Held: int(v)}
		for sec, data := range map[string]actors.SectionChanged{"A": a, "floor": floor} {
			m, err := actors.NewOutboxMessage(fmt.Sprintf("env-%s-%d", sec, v), actors.TypeSectionChanged, time.Now(),
				actors.SectionKey{EventID: "e1", SectionID: sec}, data)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, &sarama.ProducerMessage{Topic: m.Topic, Key: sarama.StringEncoder(m.Key), Value: sarama.ByteEncoder(m.Payload)})
		}
		if err := producer.SendMessages(msgs); err != nil {
			t.Fatal(err)
		}
	}

	for i, conn := range fans {
		next := map[string]int64{"A": 1, "floor": 1}
		for next["A"] <= versions || next["floor"] <= versions {
			m := readMessage(t, conn)
			sec, _ := m["section_id"].(string)
			v, _ := m["version"].(float64)
			if int64(v) != next[sec] {
				t.Fatalf("node %d: got %v, want version %d of section %q", i+1, m, next[sec], sec)
			}
			switch {
			case sec == "A" && m["type"] == "seats":
			case sec == "floor" && m["type"] == "capacity" && m["held"] == v && m["available"] == 100-v:
			default:
				t.Fatalf("node %d: unexpected message %v", i+1, m)
			}
			next[sec]++
		}
	}
}

func readMessage(t *testing.T, conn *fws.Conn) map[string]any {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, raw, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if err := live.CheckMessage("/ws/events/", raw); err != nil {
		t.Fatal(err)
	}
	return m
}
