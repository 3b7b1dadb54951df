package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/hashicorp/memberlist"
)

// nodeMeta is what a node announces in its memberlist metadata: enough for every other
// node to build the protoactor Member that disthash places identities on.
type nodeMeta struct {
	Cluster string   `json:"cluster"`
	ID      string   `json:"id"`   // protoactor member id (ActorSystem.ID)
	Host    string   `json:"host"` // gRPC remoting host
	Port    int      `json:"port"` // gRPC remoting port
	Kinds   []string `json:"kinds"`
	// Leaving is announced just before a graceful leave: the others stop placing
	// identities on the node at once, and record its departure as a leave, not a death
	// (memberlist's leave callback does not say which it was).
	Leaving bool `json:"leaving,omitempty"`
	// Sections is how many virtual actors of the node's kinds are active on it. The
	// provider's worker refreshes it at most once a second; it is informative only and
	// never part of the topology.
	Sections int `json:"sections,omitempty"`
}

// encodeMeta returns m as JSON, refusing anything memberlist cannot carry.
func encodeMeta(m nodeMeta) ([]byte, error) {
	m.Kinds = append([]string(nil), m.Kinds...)
	sort.Strings(m.Kinds)
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode node metadata: %w", err)
	}
	if len(b) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("encode node metadata: %d bytes, memberlist carries at most %d (too many or too long kind names)", len(b), memberlist.MetaMaxSize)
	}
	return b, nil
}

// decodeMeta parses another node's metadata.
func decodeMeta(b []byte) (nodeMeta, error) {
	var m nodeMeta
	if len(b) == 0 {
		return m, errors.New("decode node metadata: empty")
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("decode node metadata: %w", err)
	}
	if m.ID == "" || m.Host == "" || m.Port <= 0 || m.Port > 65535 || m.Sections < 0 {
		return m, fmt.Errorf("decode node metadata: incomplete (id %q, host %q, port %d, sections %d)", m.ID, m.Host, m.Port, m.Sections)
	}
	return m, nil
}

// sameBesidesCount reports whether a and b differ at most in their section count: an
// update that only refreshed the count changes nothing about placement.
func sameBesidesCount(a, b nodeMeta) bool {
	return a.Cluster == b.Cluster && a.ID == b.ID && a.Host == b.Host && a.Port == b.Port &&
		a.Leaving == b.Leaving && slices.Equal(a.Kinds, b.Kinds)
}

// member is the protoactor Member the metadata describes.
func (m nodeMeta) member() *protocluster.Member {
	return &protocluster.Member{
		Id:    m.ID,
		Host:  m.Host,
		Port:  int32(m.Port),
		Kinds: append([]string(nil), m.Kinds...),
	}
}
