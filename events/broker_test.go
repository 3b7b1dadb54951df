package events

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

func TestStartBrokerSeedsEveryTopic(t *testing.T) {
	b := testBroker(t, BrokerConfig{Partitions: 4})
	for _, topic := range actors.Topics {
		if n := len(b.Cluster().PartitionInfos(topic)); n != 4 {
			t.Errorf("topic %s has %d partitions, want 4", topic, n)
		}
	}
	p := testSyncProducer(t, b.Addrs())
	key := "e1/A"
	var partitions []int32
	for i := 0; i < 5; i++ {
		part, off, err := p.SendMessage(&sarama.ProducerMessage{Topic: actors.TopicSeatReserved, Key: sarama.StringEncoder(key), Value: sarama.StringEncoder("{}")})
		if err != nil {
			t.Fatal(err)
		}
		if off != int64(i) {
			t.Errorf("record %d got offset %d", i, off)
		}
		partitions = append(partitions, part)
	}
	for _, part := range partitions {
		if part != partitions[0] {
			t.Fatalf("one key spread over partitions %v", partitions)
		}
	}
	b.Close()
	b.Close()
}

func TestStartBrokerOnAFixedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if _, err := StartBroker(BrokerConfig{Addr: addr}); err == nil {
		t.Fatal("started on an address in use")
	}
	ln.Close()
	b := testBroker(t, BrokerConfig{Addr: addr})
	if got := b.Addrs(); len(got) != 1 || got[0] != addr {
		t.Fatalf("Addrs() = %v, want [%s]", got, addr)
	}
	if _, err := StartBroker(BrokerConfig{Addr: "no-port"}); err == nil {
		t.Fatal("accepted an address without a port")
	}
}

// TestBrokerDropsRecordsPastItsRetention shows the in-process broker's memory is a
// window of the stream: records older than the retention go, newer ones stay.
func TestBrokerDropsRecordsPastItsRetention(t *testing.T) {
	b := testBroker(t, BrokerConfig{Partitions: 1, Retention: time.Second})
	p := testSyncProducer(t, b.Addrs())
	send := func() {
		t.Helper()
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: actors.TopicSeatReserved, Key: sarama.StringEncoder("e1/A"), Value: sarama.StringEncoder("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		send()
	}
	info := func() *kfake.PartitionInfo { return b.Cluster().PartitionInfo(actors.TopicSeatReserved, 0) }
	if i := info(); i.LogStartOffset != 0 || i.HighWatermark != 3 {
		t.Fatalf("before the retention passed: log start %d, high watermark %d; want 0 and 3", i.LogStartOffset, i.HighWatermark)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		if i := info(); i.LogStartOffset != 3 || i.NumBytes != 0 {
			return fmt.Errorf("log start %d, %d bytes kept; want 3 and 0", i.LogStartOffset, i.NumBytes)
		}
		return nil
	})
	send()
	if i := info(); i.LogStartOffset != 3 || i.HighWatermark != 4 {
		t.Errorf("a new record after the trim: log start %d, high watermark %d; want 3 and 4", i.LogStartOffset, i.HighWatermark)
	}
}
