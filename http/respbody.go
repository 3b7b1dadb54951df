package http

import (
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// takeBody returns res's body buffer, emptied, for an answer to be appended to it: the
// answer is then written once, into a buffer of the response's pool, with no buffer of
// its own on the stack or the heap. putBody gives it back.
func takeBody(res *fasthttp.Response) []byte {
	return res.SwapBody(nil)[:0]
}

// putBody gives res the buffer takeBody took, as its JSON body when ok, emptied
// otherwise (the caller then answers some other way), and returns ok.
func putBody(res *fasthttp.Response, body []byte, ok bool) bool {
	if !ok {
		res.SwapBody(body[:0])
		return false
	}
	res.SwapBody(body)
	res.Header.SetContentType(fiber.MIMEApplicationJSON)
	return true
}
