package httpx

import (
	"container/list"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/errs"
)

// CodeRateLimited is the code of the 429 answered by RateLimit.
const CodeRateLimited = "request.rate_limited"

// DefaultMaxKeys bounds the keys a Limiter tracks when NewLimiter gets 0.
const DefaultMaxKeys = 100_000

// KeyFunc names the bucket a request draws from, usually its credential.
// It may return a string that points into fiber's buffers: the limiter
// copies it before keeping it.
type KeyFunc func(c *fiber.Ctx) string

// RateLimit returns middleware that allows each key rate requests per second
// on average with bursts of up to burst, and answers 429
// request.rate_limited with Retry-After (whole seconds) beyond that. A
// request whose key is "" is limited by its peer address ("ip:" + c.IP())
// instead, so a missing credential is not a way around the limit. Memory is
// bounded by DefaultMaxKeys keys (see Limiter).
//
// Mount it where the key is known, e.g. after authentication on the API
// group:
//
//	api.Use(httpx.RateLimit(func(c *fiber.Ctx) string {
//		return identity.From(c.UserContext()).CredentialID
//	}, 20, 40)) // 20 requests/s, bursts of 40, per credential
//
// It panics when rate is not positive or burst < 1 (a programming error).
func RateLimit(key KeyFunc, rate float64, burst int) fiber.Handler {
	return NewLimiter(rate, burst, 0).Handler(key)
}

// Limiter is a set of token buckets, one per key: a bucket holds up to
// burst tokens, refills at rate tokens per second, and each request takes
// one. It is safe for concurrent use.
//
// Memory is bounded without a background goroutine: keys are kept in
// least-recently-used order, and each call first forgets the keys idle long
// enough for their bucket to be full again (such a key is the same as a new
// one). If maxKeys keys are still busy, the least recently used is dropped;
// it starts again with a full bucket, which only errs on the lenient side.
type Limiter struct {
	rate     float64
	burst    float64
	maxKeys  int
	fullIdle time.Duration // idle time after which any bucket is full

	mu    sync.Mutex
	keys  map[string]*list.Element
	order *list.List // of *bucket, most recent at the front
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter; maxKeys 0 means DefaultMaxKeys. It panics
// when rate is not positive or burst < 1.
func NewLimiter(rate float64, burst, maxKeys int) *Limiter {
	if !(rate > 0) || math.IsInf(rate, 0) || burst < 1 || maxKeys < 0 {
		panic("httpx: NewLimiter needs rate > 0, burst >= 1 and maxKeys >= 0")
	}
	if maxKeys == 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Limiter{
		rate: rate, burst: float64(burst), maxKeys: maxKeys,
		fullIdle: time.Duration(float64(burst) / rate * float64(time.Second)),
		keys:     make(map[string]*list.Element), order: list.New(),
	}
}

// Allow takes a token from key's bucket. When the bucket is empty it returns
// false and how long until a token is there.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	return l.allowAt(key, time.Now())
}

// Len returns the number of keys tracked now.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

func (l *Limiter) allowAt(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetIdle(now)
	var b *bucket
	if el, ok := l.keys[key]; ok {
		b = el.Value.(*bucket)
		l.order.MoveToFront(el)
		if elapsed := now.Sub(b.last); elapsed > 0 {
			b.tokens = math.Min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		}
		b.last = now
	} else {
		if len(l.keys) >= l.maxKeys {
			l.drop(l.order.Back())
		}
		b = &bucket{key: strings.Clone(key), tokens: l.burst, last: now}
		l.keys[b.key] = l.order.PushFront(b)
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// forgetIdle drops the least recently used keys whose buckets are full.
func (l *Limiter) forgetIdle(now time.Time) {
	for el := l.order.Back(); el != nil; el = l.order.Back() {
		if now.Sub(el.Value.(*bucket).last) < l.fullIdle {
			return
		}
		l.drop(el)
	}
}

func (l *Limiter) drop(el *list.Element) {
	delete(l.keys, el.Value.(*bucket).key)
	l.order.Remove(el)
}

// Handler returns middleware that limits requests by key (see RateLimit).
func (l *Limiter) Handler(key KeyFunc) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k := key(c)
		if k == "" {
			k = "ip:" + c.IP()
		}
		ok, wait := l.Allow(k)
		if ok {
			return c.Next()
		}
		secs := max(int(math.Ceil(wait.Seconds())), 1)
		e := errs.New(errs.RateLimited, CodeRateLimited, "too many requests; retry in %d s", secs)
		e.Extra = map[string]any{ExtraRetryAfter: secs}
		return e
	}
}
