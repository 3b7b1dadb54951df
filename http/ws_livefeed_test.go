package http_test

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
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/events"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// This test lives outside package http so that it may wire http and events together the
// way cmd does; the http package itself imports neither events nor anything but actors.

// oneEventCatalog serves event e1 with a reserved section A and a GA section floor,
// both at version 0.
type oneEventCatalog struct{}

func (oneEventCatalog) CreateEvent(context.Context, actors.Event) (actors.Event, error) {
	return actors.Event{}, errors.New("read only")
}
func (oneEventCatalog) ListEvents(ctx context.Context) ([]actors.Event, error) {
	ev, err := oneEventCatalog{}.GetEvent(ctx, "e1")
	return []actors.Event{ev}, err
}
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
func (oneEventCatalog) GetHold(context.Context, string) (actors.Hold, error) {
	return actors.Hold{}, actors.ErrNotFound
}
func (oneEventCatalog) GetOrder(context.Context, string) (actors.Order, error) {
	return actors.Order{}, actors.ErrNotFound
}
func (oneEventCatalog) ListOrders(context.Context, string) ([]actors.Order, error) { return nil, nil }

// noReservations refuses everything; the test makes no decision.
type noReservations struct{}

func (noReservations) Hold(context.Context, actors.HoldRequest) (actors.Hold, error) {
	return actors.Hold{}, actors.ErrUnavailable
}
func (noReservations) Release(context.Context, string, string) (actors.Hold, error) {
	return actors.Hold{}, actors.ErrUnavailable
}
func (noReservations) Extend(context.Context, string, string) (actors.Hold, error) {
	return actors.Hold{}, actors.ErrUnavailable
}
func (noReservations) Confirm(context.Context, actors.ConfirmRequest) (actors.Order, error) {
	return actors.Order{}, actors.ErrUnavailable
}
func (noReservations) Cancel(context.Context, string, string, bool) (actors.Order, error) {
	return actors.Order{}, actors.ErrUnavailable
}

// node is one server with its event feed and live feed, on a shared broker.
type node struct {
	base string
	feed *tbhttp.EventFeed
}

func startNode(t *testing.T, name string, brokers []string) node {
	t.Helper()
	log := zap.NewNop()
	srv, err := tbhttp.New(tbhttp.Config{Reservations: noReservations{}, Catalog: oneEventCatalog{}, JWTSecret: []byte("secret"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	feed, err := tbhttp.NewEventFeed(tbhttp.EventFeedConfig{Catalog: oneEventCatalog{}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	traces, err := tbhttp.NewTraceHub(tbhttp.TraceHubConfig{Node: name, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv.MountLive(feed, traces)
	live, err := events.NewLiveFeed(events.LiveFeedConfig{Brokers: brokers, Node: name, Handler: feed.Publish, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- live.Run(ctx) }()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Listener(ln) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := feed.Close(sctx); err != nil {
			t.Error(err)
		}
		if err := srv.Shutdown(sctx); err != nil {
			t.Error(err)
		}
		if err := <-served; err != nil {
			t.Error(err)
		}
		cancel()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	})
	select {
	case <-live.Ready():
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
	return m
}
