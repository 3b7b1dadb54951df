package cluster

import "github.com/ticketblitz/ticketblitz/actors"

var (
	_ actors.Membership = (*Node)(nil)
	_ actors.Membership = (*Provider)(nil)
)

// MemberAlive reports whether the member with protoactor member id id is alive in this
// node's view: this node itself, or a member memberlist counts alive (suspect and
// leaving ones included: they still serve what they host). A member declared dead or
// left is not, nor one whose process refuses connections (see provider_refusal.go), and
// neither is one this node does not know, such as the earlier process of a node
// restarted under the same name (its record now carries the new process's id).
// Until it has joined, a node knows too little and answers true.
func (n *Node) MemberAlive(id string) bool { return n.provider.MemberAlive(id) }

// MemberAlive implements actors.Membership; see Node.MemberAlive.
func (p *Provider) MemberAlive(id string) bool {
	if id == "" {
		return false
	}
	if !p.isJoined() {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if id == p.self.ID {
		return !p.stopped
	}
	for _, r := range p.records {
		if m, err := r.decode(); err == nil && m.ID == id {
			return !r.departed() && !r.refused()
		}
	}
	return false
}
