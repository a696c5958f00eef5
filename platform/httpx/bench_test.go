package httpx_test

import (
	"io"
	"strconv"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/httpx"
)

// BenchmarkServer_roundTrip measures one keep-alive request over loopback
// through the whole edge (request id, deadline, access log, metrics) to a
// trivial handler; it includes the net/http client's own cost.
func BenchmarkServer_roundTrip(b *testing.B) {
	e := newEnvTB(b, httpx.Config{}, func(s *httpx.Server) {
		s.API().Get("/ping", func(c *fiber.Ctx) error { return c.SendString("pong") })
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := e.client.Get(e.url + "/api/v1/ping")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

// BenchmarkLimiter_Allow measures one token-bucket decision over a working
// set of 10,000 keys.
func BenchmarkLimiter_Allow(b *testing.B) {
	l := httpx.NewLimiter(1e9, 1<<30, 0)
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Allow(keys[i%len(keys)])
	}
}
