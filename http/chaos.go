package http

import "context"

// Chaos is the fault injection of a development cluster (ticketblitz dev) that the
// classroom controls drive: kill, pause, resume, start and drain nodes, pause the event
// broker, slow payments and the database. The supervisor of the cluster's processes
// carries out what concerns them; a node applies its own switches.
type Chaos interface {
	// State returns the cluster's processes, the broker and the switches as they are.
	State(ctx context.Context) (ChaosState, error)
	// Apply carries out one action and returns the state after it. Its errors are
	// domain errors: VALIDATION_FAILED for an action the state does not allow,
	// NOT_FOUND for an unknown node, UNAVAILABLE when the supervisor does not answer.
	Apply(ctx context.Context, a ChaosAction) (ChaosState, error)
}

// The actions of ChaosAction.
const (
	ChaosKill         = "kill"          // SIGKILL the node's process
	ChaosPause        = "pause"         // SIGSTOP it
	ChaosResume       = "resume"        // SIGCONT it
	ChaosStart        = "start"         // start a stopped node again, or a new one (Node "")
	ChaosDrain        = "drain"         // POST /api/v1/cluster/drain on the node
	ChaosBrokerPause  = "broker-pause"  // the broker stops serving produce and fetch
	ChaosBrokerResume = "broker-resume" // it serves them again
	ChaosSlowPayments = "slow-payments" // every charge takes DelayMS more (0 restores)
	ChaosSlowDatabase = "slow-database" // every batch commit takes DelayMS more (0 restores)
)

// ChaosActions lists every action, in the order the page offers them.
var ChaosActions = []string{ChaosKill, ChaosPause, ChaosResume, ChaosStart, ChaosDrain,
	ChaosBrokerPause, ChaosBrokerResume, ChaosSlowPayments, ChaosSlowDatabase}

// MaxChaosDelayMS bounds the delays of slow-payments and slow-database.
const MaxChaosDelayMS = 10000

// ChaosAction is one fault to inject (or undo).
type ChaosAction struct {
	Action string `json:"action"`
	// Node names the node of kill, pause, resume, start and drain ("" with start: a new
	// node).
	Node string `json:"node,omitempty"`
	// DelayMS is the added delay of slow-payments and slow-database.
	DelayMS int `json:"delay_ms,omitempty"`
	// By is the admin who asked and Via the node that received the request; both are
	// logged with the fault.
	By  string `json:"by,omitempty"`
	Via string `json:"via,omitempty"`
	// Authorization is the caller's Authorization header, which a drain passes on to
	// the node it drains.
	Authorization string `json:"authorization,omitempty"`
}

// ChaosState is a development cluster as the supervisor sees it.
type ChaosState struct {
	Nodes    []ChaosNode   `json:"nodes"`
	Broker   ChaosBroker   `json:"broker"`
	Switches ChaosSwitches `json:"switches"`
}

// ChaosNode is one node process: its name, base URL, process id (0 when it is not
// running) and state: running, paused (SIGSTOP), killed, exited (it stopped by itself
// or was drained).
type ChaosNode struct {
	Name  string `json:"name"`
	URL   string `json:"url"`
	PID   int    `json:"pid"`
	State string `json:"state"`
}

// ChaosBroker is the in-process event broker of the development cluster.
type ChaosBroker struct {
	Addr   string `json:"addr"`
	Paused bool   `json:"paused"`
}

// ChaosSwitches are the delays every node adds.
type ChaosSwitches struct {
	PaymentDelayMS int `json:"payment_delay_ms"`
	StoreDelayMS   int `json:"store_delay_ms"`
}
