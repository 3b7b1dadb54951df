package live

import (
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
)

// Handler is the route handler of GET /ws/visualizer: a hello, then the traces. Like
// EventFeed.Handler it refuses with domain errors before any upgrade: VALIDATION_FAILED
// for a request that is no websocket upgrade, UNAVAILABLE when the endpoint is full or
// closing.
func (h *TraceHub) Handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := h.endpoint.accept(c); err != nil {
			return err
		}
		return h.endpoint.upgrade(c)
	}
}

// session registers a viewer. The hello, then the replay of the recent traces, are
// queued while the viewer list is locked, so that no trace can overtake them.
func (h *TraceHub) session(c *conn) func() {
	now := h.now()
	hello, err := prepareJSON(helloJSON{Type: "hello", At: now.UTC(), Node: h.cfg.Node, Sections: h.ActiveSections(), Nodes: h.NodeSections()})
	if err != nil {
		h.log.Error("encode visualizer hello", zap.Error(err))
		c.close(websocket.CloseInternalServerErr, "internal error")
		return nil
	}
	h.viewerMu.Lock()
	c.send(hello)
	if h.ring != nil {
		for _, m := range h.ring.recent(now) {
			c.send(m)
		}
	}
	list := append(append([]*conn(nil), *h.viewList.Load()...), c)
	h.viewList.Store(&list)
	h.viewers.Add(1)
	h.viewerMu.Unlock()
	return func() { h.removeViewer(c) }
}

func (h *TraceHub) removeViewer(c *conn) {
	h.viewerMu.Lock()
	defer h.viewerMu.Unlock()
	old := *h.viewList.Load()
	list := make([]*conn, 0, len(old))
	for _, v := range old {
		if v != c {
			list = append(list, v)
		}
	}
	h.viewList.Store(&list)
	h.viewers.Add(-1)
}
