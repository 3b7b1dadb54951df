package api

// The endpoint names used in stats and reports.
const (
	EndpointHealthz     = "GET /healthz"
	EndpointReadyz      = "GET /readyz"
	EndpointToken       = "POST /auth/token"
	EndpointListEvents  = "GET /events"
	EndpointGetEvent    = "GET /events/{id}"
	EndpointCreateEvent = "POST /events"
	EndpointSeatMap     = "GET /seats"
	EndpointHold        = "POST /holds"
	EndpointGetHold     = "GET /holds/{id}"
	EndpointRelease     = "DELETE /holds/{id}"
	EndpointExtend      = "POST /holds/{id}/extend"
	EndpointConfirm     = "POST /holds/{id}/confirm"
	EndpointGetOrder    = "GET /orders/{id}"
	EndpointMyOrders    = "GET /me/orders"
	EndpointMyHolds     = "GET /me/holds"
	EndpointCancel      = "POST /orders/{id}/cancel"
	EndpointDrain       = "POST /api/v1/cluster/drain"
	EndpointSetRoom     = "PUT /events/{id}/waiting-room"
	EndpointJoinQueue   = "POST /events/{id}/queue"
	EndpointQueueStatus = "GET /queue/{id}"
	// EndpointQueueWait is a read of a ticket that waits for its change (?wait_ms=).
	EndpointQueueWait = "GET /queue/{id}?wait_ms"
)
