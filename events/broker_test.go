package events

import (
	"net"
	"testing"

	"github.com/IBM/sarama"

	"github.com/ticketblitz/ticketblitz/actors"
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
