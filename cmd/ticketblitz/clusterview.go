package main

import (
	"context"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/cluster"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// clusterView serves /api/v1/cluster from this node's membership view.
type clusterView struct {
	node  *cluster.Node
	drain *drainRequest
	log   *zap.Logger
}

// Status lists the members this node knows, each with the number of sections active on
// it: live for this node, as last announced in its metadata (at most a second old) for
// the others.
func (v clusterView) Status(context.Context) (tbhttp.ClusterStatus, error) {
	st := tbhttp.ClusterStatus{Node: v.node.Name()}
	for _, m := range v.node.Members() {
		st.Members = append(st.Members, tbhttp.ClusterMember{Name: m.Name, Address: m.Address, Status: string(m.Status), Sections: m.Sections})
	}
	return st, nil
}

// Drain starts draining this node and returns at once: /readyz turns 503 so that load
// balancers stop sending, and after the drain delay the server shuts down as on SIGTERM,
// handing its sections over to the other members before it leaves, then exits 0.
// Calling it again while the drain is under way changes nothing.
func (v clusterView) Drain(context.Context) error {
	if v.drain.request() {
		v.log.Info("drain requested: readyz now reports the node as draining", zap.String("node", v.node.Name()))
	}
	return nil
}
