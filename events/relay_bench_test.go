package events

import (
	"fmt"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// BenchmarkRelay measures how fast the relay drains an outbox into the in-process
// broker, for one hot section and for many sections.
func BenchmarkRelay(b *testing.B) {
	for _, sections := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("sections=%d", sections), func(b *testing.B) {
			br := testBroker(b, BrokerConfig{})
			o := newMemOutbox(nil)
			seq := make([]int64, sections)
			for i := 0; i < b.N; i++ {
				s := i % sections
				seq[s]++
				o.add(b, actors.SectionKey{EventID: "e", SectionID: fmt.Sprint(s)}, actors.TypeSeatReserved, seq[s])
			}
			r := NewRelay(RelayConfig{Outbox: o, Producer: testProducer(b, br.Addrs())})
			b.ResetTimer()
			stop := runInBackground(b, r.Run)
			testenv.Eventually(b, 10*time.Minute, o.wantPublished(b.N))
			b.StopTimer()
			stop()
		})
	}
}
