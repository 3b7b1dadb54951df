// Package cluster starts a TicketBlitz node as a member of a protoactor-go cluster whose
// membership comes from hashicorp/memberlist.
//
// Start builds the actor system, the gRPC remoting on RemoteHost:RemotePort, protoactor's
// cluster with disthash placement and the kinds it is given, and Provider, the
// protoactor ClusterProvider written on memberlist. Node answers the questions the rest of
// the program asks of membership: who is in the cluster (Members), is a member (a process
// incarnation, by its member id) still alive (MemberAlive, actors.Membership), may this
// node take traffic (Ready), and it leaves (Leave, Stop) or dies (Crash).
//
// A member declared dead is blocked by protoactor for good, even if it was only paused.
// The members that declared it dead tell it so (see provider_expel.go); Node.Expelled
// fires on the zombie, whose owner should restart it under a new member id.
//
// Membership is eventually consistent. During joins, leaves, crashes and false suspicion
// disthash can place one identity on two nodes for a while; correctness rests on the fence
// in the store, not on this package.
//
// Locks: Provider.mu is always the innermost. memberlist's event callbacks take it under
// memberlist's node lock, the topology subscription under protoactor's member-list lock;
// nothing calls memberlist or protoactor while holding it. The callbacks only copy what
// they are given and wake the worker goroutine, the only caller of UpdateClusterTopology.
//
// memberlist is the only membership authority, with one exception that only speeds it
// up: a member whose remoting port refuses connections is counted lost at once (see
// provider_refusal.go), since only a process that is gone refuses them. protoactor's gossip loop (heartbeat
// expiry that blocks a member for good, graceful-leave marks, a topology consensus that
// never reports consensus at the pinned version) is never scheduled: it duplicated
// memberlist's failure detection and read the block list without its lock while topology
// updates wrote it, a data race inside a single node.
//
// Logs: a member lost is logged once (warning), a member joined or left once (info). The
// libraries' errors that a lost member causes on every survivor (requests that waited on
// it, reconnect attempts) are logged at debug level and counted; the worker logs one
// warning with the counts once the burst is over (see failover_noise.go). What protoactor
// or memberlist log at error level otherwise still reaches the log as an error.
//
// protoactor at the pinned version has further data races (disthash ring swap, grpc
// logger, futures, and the block list read by gRPC's endpoint reader when a peer
// connects); tests that run several nodes run each in its own process.
package cluster
