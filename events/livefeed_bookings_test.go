package events

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestLiveFeedDeliversBookings: a feed with Bookings also hands every confirmed order
// to it (and section changes to Handler as before); other booking.created records are
// skipped.
func TestLiveFeedDeliversBookings(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	p := testSyncProducer(t, b.Addrs())
	deltas := newDeltaLog()
	var mu sync.Mutex
	var orders []string
	f, err := NewLiveFeed(LiveFeedConfig{Brokers: b.Addrs(), Node: "n1", Handler: deltas.handle, Logger: zaptest.NewLogger(t),
		Bookings: func(eventID, sectionID string, bc actors.BookingCreated) {
			mu.Lock()
			orders = append(orders, fmt.Sprintf("%s/%s %s %v v%d", eventID, sectionID, bc.OrderID, bc.Seats, bc.SectionVersion))
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	runInBackground(t, f.Run)
	select {
	case <-f.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("live feed never became ready")
	}
	key := actors.SectionKey{EventID: "e1", SectionID: "A"}
	m, err := actors.NewOutboxMessage("env-o1", actors.TypeBookingCreated, time.Now(), key,
		actors.BookingCreated{OrderID: "o1", Seats: []string{"A-1", "A-2"}, Quantity: 2, SectionVersion: 2})
	if err != nil {
		t.Fatal(err)
	}
	msgs := []*sarama.ProducerMessage{
		{Topic: actors.TopicBookingCreated, Key: sarama.StringEncoder("e1/A"), Value: sarama.StringEncoder("not json")},
		{Topic: m.Topic, Key: sarama.StringEncoder(m.Key), Value: sarama.ByteEncoder(m.Payload)},
		sectionChanged(t, key, 1),
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(orders) == 0 || deltas.total() == 0 {
			return fmt.Errorf("orders %v, %d deltas", orders, deltas.total())
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"e1/A o1 [A-1 A-2] v2"}; !slices.Equal(orders, want) {
		t.Fatalf("orders %q, want %q", orders, want)
	}
}
