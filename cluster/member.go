package cluster

// MemberStatus is a member's state as this node sees it.
type MemberStatus string

// The member statuses.
const (
	// StatusAlive: memberlist counts the member alive.
	StatusAlive MemberStatus = "alive"
	// StatusSuspect: the member is alive to memberlist, but this node's direct probes of it
	// have gone unanswered for longer than a probe round. It stays in the topology until
	// memberlist declares it dead. (memberlist exposes no suspicion hook, and reading its
	// node states outside its callbacks races with its updates, so this is our own probe
	// record, which is what drives memberlist's suspicion on this node.)
	StatusSuspect MemberStatus = "suspect"
	// StatusLeaving: the member announced a graceful leave and takes no new identities.
	StatusLeaving MemberStatus = "leaving"
	// StatusDead: memberlist declared the member failed.
	StatusDead MemberStatus = "dead"
	// StatusLeft: the member left on purpose.
	StatusLeft MemberStatus = "left"
)

// MemberInfo describes one cluster member. Dead and left members are listed for a while
// after they go, so that views can show what happened.
type MemberInfo struct {
	// Name is the memberlist node name.
	Name string `json:"name"`
	// ID is the protoactor member id; empty when the metadata could not be read.
	ID string `json:"id,omitempty"`
	// Address is the gRPC remoting address ("host:port") actors are reached at.
	Address string `json:"address,omitempty"`
	// GossipAddress is the memberlist address ("ip:port").
	GossipAddress string `json:"gossip_address"`
	// Status is alive, suspect, leaving, dead or left.
	Status MemberStatus `json:"status"`
	// Kinds lists the actor kinds the member hosts.
	Kinds []string `json:"kinds,omitempty"`
	// Self marks this node.
	Self bool `json:"self,omitempty"`
	// Sections is how many virtual actors (sections) are active on the member: live for
	// this node, as last announced in its metadata (refreshed at most once a second) for
	// the others.
	Sections int `json:"sections"`
	// InTopology reports whether protoactor's current topology on this node contains the
	// member, that is whether disthash may place identities on it.
	InTopology bool `json:"in_topology"`
}
