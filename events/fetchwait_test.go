package events

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// fetchWaits records the MinBytes and MaxWaitMillis of every fetch request a broker
// receives, per topic fetched.
type fetchWaits struct {
	mu   sync.Mutex
	seen map[string][2]int32
}

func watchFetches(b *Broker) *fetchWaits {
	w := &fetchWaits{seen: map[string][2]int32{}}
	b.Cluster().ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		b.Cluster().KeepControl()
		f := req.(*kmsg.FetchRequest)
		w.mu.Lock()
		for _, t := range f.Topics {
			w.seen[t.Topic] = [2]int32{f.MinBytes, f.MaxWaitMillis}
		}
		w.mu.Unlock()
		return nil, nil, false
	})
	return w
}

func (w *fetchWaits) of(topic string) ([2]int32, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.seen[topic]
	return v, ok
}

// TestLiveFeedLongPollsAndTraceReaderGathers checks what the live feed and the trace reader ask
// of each fetch: the live feed is answered at its first record or after 500 ms (a long
// poll), the trace reader waits for 16 KiB or 100 ms; and that a single version reaches
// the live feed's handler.
func TestLiveFeedLongPollsAndTraceReaderGathers(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	w := watchFetches(b)
	log := newDeltaLog()
	startLiveFeed(t, b.Addrs(), "n1", log)
	share, err := NewTraceShare(TraceShareConfig{Brokers: b.Addrs(), Node: "n1", Handler: func([]byte) {}, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runInBackground(t, share.Run)

	p := testSyncProducer(t, b.Addrs())
	if _, _, err := p.SendMessage(sectionChanged(t, actors.SectionKey{EventID: "e", SectionID: "A"}, 1)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		if n := log.total(); n != 1 {
			return fmt.Errorf("the live feed delivered %d versions, want 1", n)
		}
		if _, ok := w.of(TopicVisualizerTraces); !ok {
			return errors.New("the trace reader has not fetched yet")
		}
		return nil
	})

	want := map[string][2]int32{
		actors.TopicSectionChanged: {1, 500},
		TopicVisualizerTraces:      {16 << 10, 100},
	}
	for topic, wv := range want {
		if got, _ := w.of(topic); got != wv {
			t.Errorf("fetches of %s ask for [min bytes, max wait ms] %v, want %v", topic, got, wv)
		}
	}
}
