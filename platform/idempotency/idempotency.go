// Package idempotency makes retried POSTs safe: the first request with an
// Idempotency-Key runs, and every later request with the same key and the
// same body gets the first answer again for a day; the same key with another
// body is refused. Concurrent retries wait for the first to finish rather
// than run twice. Answers live in the tenant's "_idempotency" collection, so
// every node sees them. It imports platform/store and platform/errs only.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

const coll = "_idempotency"

// Config tunes the keeper. The zero value is usable.
type Config struct {
	// TTL is how long an answer is kept (default 24 h).
	TTL time.Duration
	// Wait is how long a concurrent retry waits for the first request
	// (default 10 s); past it, it is told to retry later.
	Wait time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Keeper keeps answers by key.
type Keeper struct {
	st  store.Store
	cfg Config
}

// New returns a keeper.
func New(st store.Store, cfg Config) *Keeper {
	if cfg.TTL == 0 {
		cfg.TTL = 24 * time.Hour
	}
	if cfg.Wait == 0 {
		cfg.Wait = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Keeper{st: st, cfg: cfg}
}

// Provision creates a new tenant's collection.
func (k *Keeper) Provision(ctx context.Context, tenant string) error {
	return k.st.EnsureCollection(ctx, tenant, coll)
}

// Answer is a stored response.
type Answer struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    []byte            `json:"body"`
}

// MaxKeyLength bounds an Idempotency-Key.
const MaxKeyLength = 255

// Do runs fn once per (scope, key): scope separates callers and endpoints
// (e.g. the user id and the route). A replay with the same body returns the
// stored answer and replayed = true. fn's answer is stored unless its status
// is 5xx (a failure that a retry may not repeat).
func (k *Keeper) Do(ctx context.Context, tenant, scope, key string, body []byte, fn func() (Answer, error)) (a Answer, replayed bool, err error) {
	if key == "" || len(key) > MaxKeyLength {
		return Answer{}, false, errs.New(errs.Malformed, "idempotency.bad_key", "Idempotency-Key must have 1 to %d characters", MaxKeyLength)
	}
	sum := sha256.Sum256([]byte(scope + "\x00" + key))
	docID := hex.EncodeToString(sum[:])
	bsum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(bsum[:])
	deadline := k.cfg.Now().Add(k.cfg.Wait)
	for {
		doc, err := k.st.Get(ctx, tenant, coll, docID, nil)
		switch {
		case errors.Is(err, store.ErrNotFound):
			pending := store.Doc{"id": docID, "bodyHash": bodyHash, "state": "pending", "createdAt": k.stamp(k.cfg.Now())}
			if _, err := k.st.Insert(ctx, tenant, coll, pending); errors.Is(err, store.ErrDuplicate) {
				continue // another request took the key first: read its state
			} else if err != nil {
				return Answer{}, false, fmt.Errorf("idempotency: claim key: %w", err)
			}
			return k.run(ctx, tenant, docID, bodyHash, fn)
		case err != nil:
			return Answer{}, false, fmt.Errorf("idempotency: read key: %w", err)
		}
		if created, _ := doc["createdAt"].(string); created < k.stamp(k.cfg.Now().Add(-k.cfg.TTL)) {
			_ = k.st.Delete(ctx, tenant, coll, docID, 0) // expired: the key is free again
			continue
		}
		if doc["bodyHash"] != bodyHash {
			return Answer{}, false, errs.New(errs.Invalid, "idempotency.key_reused", "this Idempotency-Key was used with another request body").
				WithField("Idempotency-Key", "reused", "was used with another body")
		}
		if doc["state"] == "done" {
			return answerOf(doc), true, nil
		}
		if k.cfg.Now().After(deadline) {
			e := errs.New(errs.Conflict, "idempotency.in_progress", "a request with this Idempotency-Key is still running; retry later")
			return Answer{}, false, e
		}
		select {
		case <-ctx.Done():
			return Answer{}, false, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (k *Keeper) run(ctx context.Context, tenant, docID, bodyHash string, fn func() (Answer, error)) (Answer, bool, error) {
	a, err := fn()
	if err != nil || a.Status >= 500 {
		// Free the key so a retry runs again.
		_ = k.st.Delete(context.WithoutCancel(ctx), tenant, coll, docID, 0)
		return a, false, err
	}
	headers := map[string]any{}
	for h, v := range a.Headers {
		headers[h] = v
	}
	done := store.Doc{"id": docID, "bodyHash": bodyHash, "state": "done", "createdAt": k.stamp(k.cfg.Now()),
		"status": int64(a.Status), "headers": headers, "body": string(a.Body)}
	if _, err := k.st.Update(context.WithoutCancel(ctx), tenant, coll, done, 0); err != nil {
		return a, false, fmt.Errorf("idempotency: store answer: %w", err)
	}
	return a, false, nil
}

func answerOf(doc store.Doc) Answer {
	a := Answer{Headers: map[string]string{}}
	st, _ := store.NormalizeValue(doc["status"]).(int64)
	a.Status = int(st)
	if h, ok := doc["headers"].(map[string]any); ok {
		for k, v := range h {
			if s, ok := v.(string); ok {
				a.Headers[k] = s
			}
		}
	}
	b, _ := doc["body"].(string)
	a.Body = []byte(b)
	return a
}

func (k *Keeper) stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
