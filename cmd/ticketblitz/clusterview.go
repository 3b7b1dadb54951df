package main

import (
	"context"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/cluster"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// clusterView serves /api/v1/cluster from this node's membership view.
type clusterView struct {
	node *cluster.Node
}

// Status lists the members this node knows. Section counts are known for this node
// only (its active section actors); other members report theirs on their own API.
func (v clusterView) Status(context.Context) (tbhttp.ClusterStatus, error) {
	st := tbhttp.ClusterStatus{Node: v.node.Name()}
	local := 0
	if k, ok := v.node.Cluster().TryGetClusterKind(actors.SectionKindName); ok {
		local = int(k.Count())
	}
	for _, m := range v.node.Members() {
		cm := tbhttp.ClusterMember{Name: m.Name, Address: m.Address, Status: string(m.Status)}
		if m.Self {
			cm.Sections = local
		}
		st.Members = append(st.Members, cm)
	}
	return st, nil
}

// Drain leaves the cluster gracefully: the other members take this node's sections
// over as their activations are requested, and each is fenced against this node.
func (v clusterView) Drain(ctx context.Context) error {
	return v.node.Leave(ctx)
}
