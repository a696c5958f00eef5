package httpx_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/httpx"
)

func TestRateLimit_burstThen429WithRetryAfterThenRecovers(t *testing.T) {
	const rate = 5.0 // a token every 200 ms
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		api := s.API()
		api.Use(httpx.RateLimit(func(c *fiber.Ctx) string { return c.Get("Authorization") }, rate, 2))
		api.Get("/ping", func(c *fiber.Ctx) error { return c.SendString("pong") })
	})
	get := func(key string) response {
		return e.do(t, "GET", "/api/v1/ping", nil, "Authorization", key)
	}
	for i := 0; i < 2; i++ {
		if r := get("Bearer a"); r.status != 200 {
			t.Fatalf("request %d within the burst: %d", i+1, r.status)
		}
	}
	r := get("Bearer a")
	p := problem(t, r, 429, httpx.CodeRateLimited)
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 1 {
		t.Fatalf("Retry-After = %q, want 1 (next token in 200 ms, rounded up)", r.header.Get("Retry-After"))
	}
	if p["retryAfter"] != float64(secs) {
		t.Fatalf("retryAfter member = %v", p["retryAfter"])
	}
	if r := get("Bearer b"); r.status != 200 {
		t.Fatalf("another key is limited too: %d", r.status)
	}
	time.Sleep(time.Second / rate * 3 / 2)
	if r := get("Bearer a"); r.status != 200 {
		t.Fatalf("key did not recover after a refill interval: %d %s", r.status, r.body)
	}
	if r := get("Bearer a"); r.status != 429 {
		t.Fatalf("recovered with more than one token: %d", r.status)
	}
}

func TestRateLimit_requestsWithoutKeyShareTheirAddressBucket(t *testing.T) {
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.API().Use(httpx.RateLimit(func(c *fiber.Ctx) string { return c.Get("Authorization") }, 0.01, 1))
		s.API().Get("/ping", func(c *fiber.Ctx) error { return c.SendString("pong") })
	})
	if r := e.do(t, "GET", "/api/v1/ping", nil); r.status != 200 {
		t.Fatalf("first anonymous request: %d", r.status)
	}
	r := e.do(t, "GET", "/api/v1/ping", nil)
	problem(t, r, 429, httpx.CodeRateLimited)
	if s, _ := strconv.Atoi(r.header.Get("Retry-After")); s != 100 {
		t.Fatalf("Retry-After = %q, want 100 at 0.01/s", r.header.Get("Retry-After"))
	}
}

func TestLimiter_memoryIsBounded(t *testing.T) {
	l := httpx.NewLimiter(1, 1, 100)
	for i := 0; i < 1000; i++ {
		// Keys built in a reused buffer, as fiber's header strings are:
		// the limiter must copy them.
		key := []byte("key-" + strconv.Itoa(i))
		if ok, _ := l.Allow(string(key)); !ok {
			t.Fatalf("new key %d refused", i)
		}
	}
	if n := l.Len(); n != 100 {
		t.Fatalf("tracks %d keys, want the bound 100", n)
	}
	// The most recent keys are the ones kept, with their empty buckets.
	if ok, _ := l.Allow("key-999"); ok {
		t.Fatal("recent key lost its state")
	}
}
