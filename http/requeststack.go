package http

// A connection is served by a goroutine of its own (fasthttp's worker), which starts
// with the runtime's smallest stack, 2 KB. A request outgrows it deep in its handler
// (the token's HMAC, beneath the router, the middlewares and the handler's frames),
// and the runtime then copies the whole stack, adjusting every frame's pointers: a
// copy that costs the more the deeper it is made, once for each of a rush's thousands
// of new connections, and again whenever the collector has halved an idle
// connection's stack.
//
// growForRequest makes the stack big enough for a request where the stack is shallow:
// when a request's first bytes arrive (firstByteConn's one-byte read, a few frames
// beneath the connection's loop). Its frame is requestStackBytes, so the runtime
// grows the stack to fit it, once, there; on a stack already big enough it costs the
// call and the zeroing of its frame.

// requestStackBytes is the stack a request is given beneath the one-byte read: with
// the frames above it and the runtime's guard it makes a connection goroutine's
// stack 8 KB, which a hold fits in, and not 16 KB.
const requestStackBytes = 4 << 10

// growForRequest takes requestStackBytes of stack and returns one of its bytes: the
// frame cannot be left out, and stays on the stack (go build -gcflags=-m reports
// nothing of it moved to the heap).
//
//go:noinline
func growForRequest(i int) byte {
	var b [requestStackBytes]byte
	b[i%requestStackBytes] = 1
	return b[requestStackBytes-1]
}
