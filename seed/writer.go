package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
)

// writer makes every write of the seed: one record through the record
// pipeline's Bulk call, as the tenant's admin, with the record service's
// clock pinned to the moment the write happens in the seeded history.
type writer struct {
	d      Deps
	tenant string
	clock  *Clock
	rep    *Report
	admin  string
}

// maxAttempts bounds the tries of a write refused by a script limit (a
// script that ran out of wall time on a loaded machine: the same write
// succeeds on a second try).
const maxAttempts = 4

// atomically runs fn in one store transaction where the backend has them:
// the writes of a few hundred leads then share one commit.
func (w *writer) atomically(ctx context.Context, fn func(context.Context) error) error {
	if w.d.Store.Capabilities().Transactions {
		return w.d.Store.Tx(ctx, w.tenant, fn)
	}
	return fn(ctx)
}

func (w *writer) bulk(ctx context.Context, object, op string, at time.Time, rec map[string]any) (string, error) {
	w.clock.Pin(at)
	start := time.Now()
	for attempt := 1; ; attempt++ {
		res, err := w.d.Records.Bulk(ctx, object, records.BulkRequest{Operation: op, Records: []map[string]any{rec}})
		if err != nil {
			return "", fmt.Errorf("seed: %s %s: %w", op, object, err)
		}
		if err := res[0].Err; err != nil {
			if errs.CodeOf(err) == "script.limit" && attempt < maxAttempts {
				continue
			}
			return "", fmt.Errorf("seed: %s %s: %w", op, object, err)
		}
		w.rep.Time[object+" "+op] += time.Since(start)
		return res[0].ID, nil
	}
}

// create creates a record as of at and returns its id.
func (w *writer) create(ctx context.Context, object string, at time.Time, rec map[string]any) (string, error) {
	id, err := w.bulk(ctx, object, "create", at, rec)
	if err == nil {
		w.rep.Records[object]++
	}
	return id, err
}

// update changes a record as of at.
func (w *writer) update(ctx context.Context, object, id string, at time.Time, patch map[string]any) error {
	patch["id"] = id
	_, err := w.bulk(ctx, object, "update", at, patch)
	if err == nil {
		w.rep.Updates++
	}
	return err
}

// stamp is the API form of an instant.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// date is the API form of a day in the sales team's time zone.
func date(t time.Time) string { return t.In(local).Format("2006-01-02") }
