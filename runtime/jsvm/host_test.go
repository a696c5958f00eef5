package jsvm

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/opencrm/crm/platform/errs"
)

// mapHost is a Host backed by maps, for tests. When onWrite is set, every
// create and update re-enters it, the way the record pipeline runs hooks.
type mapHost struct {
	mu      sync.Mutex
	objects map[string]map[string]map[string]any
	next    int
	onWrite func(ctx context.Context, object string, rec map[string]any) error
	calls   []string
}

func newMapHost() *mapHost {
	return &mapHost{objects: map[string]map[string]map[string]any{}}
}

func (h *mapHost) put(object string, rec map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.objects[object] == nil {
		h.objects[object] = map[string]map[string]any{}
	}
	h.objects[object][rec["id"].(string)] = rec
}

func (h *mapHost) log(s string) {
	h.mu.Lock()
	h.calls = append(h.calls, s)
	h.mu.Unlock()
}

func (h *mapHost) Get(_ context.Context, object, id string) (map[string]any, error) {
	h.log("get " + object + " " + id)
	h.mu.Lock()
	defer h.mu.Unlock()
	rec, ok := h.objects[object][id]
	if !ok {
		return nil, errs.New(errs.NotFound, "record.not_found", "no %s %s", object, id)
	}
	return rec, nil
}

func (h *mapHost) Query(_ context.Context, object string, q Query) (QueryResult, error) {
	h.log(fmt.Sprintf("query %s %q %q %d %v", object, q.Filter, q.Sort, q.Limit, q.Fields))
	h.mu.Lock()
	defer h.mu.Unlock()
	if q.Filter == "bad" {
		return QueryResult{}, errs.New(errs.Malformed, "filter.syntax", "unexpected end of filter")
	}
	var ids []string
	for id := range h.objects[object] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var res QueryResult
	for _, id := range ids {
		res.Items = append(res.Items, h.objects[object][id])
		if q.Limit > 0 && len(res.Items) == q.Limit {
			res.NextCursor = id
			break
		}
	}
	return res, nil
}

func (h *mapHost) Create(ctx context.Context, object string, rec map[string]any) (map[string]any, error) {
	h.log("create " + object)
	if h.onWrite != nil {
		if err := h.onWrite(ctx, object, rec); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	h.next++
	id := fmt.Sprintf("%s-%d", object, h.next)
	h.mu.Unlock()
	out := map[string]any{"id": id}
	for k, v := range rec {
		out[k] = v
	}
	h.put(object, out)
	return out, nil
}

func (h *mapHost) Update(ctx context.Context, object, id string, patch map[string]any) (map[string]any, error) {
	h.log("update " + object + " " + id)
	h.mu.Lock()
	rec, ok := h.objects[object][id]
	h.mu.Unlock()
	if !ok {
		return nil, errs.New(errs.NotFound, "record.not_found", "no %s %s", object, id)
	}
	if h.onWrite != nil {
		if err := h.onWrite(ctx, object, rec); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, v := range patch {
		rec[k] = v
	}
	return rec, nil
}

func (h *mapHost) Delete(_ context.Context, object, id string) error {
	h.log("delete " + object + " " + id)
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.objects[object][id]; !ok {
		return errs.New(errs.NotFound, "record.not_found", "no %s %s", object, id)
	}
	delete(h.objects[object], id)
	return nil
}

func (h *mapHost) Aggregate(_ context.Context, object string, a Aggregate) ([]map[string]any, error) {
	var parts []string
	for _, g := range a.GroupBy {
		parts = append(parts, g.Field+"/"+g.By)
	}
	for _, m := range a.Measures {
		parts = append(parts, m.Op+":"+m.Field)
	}
	h.log("aggregate " + object + " " + a.Filter + " " + strings.Join(parts, ","))
	h.mu.Lock()
	defer h.mu.Unlock()
	counts := map[string]int{}
	for _, rec := range h.objects[object] {
		counts[fmt.Sprint(rec["stage"])]++
	}
	var rows []map[string]any
	for k, n := range counts {
		rows = append(rows, map[string]any{"stage": k, "count": n})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i]["stage"].(string) < rows[j]["stage"].(string) })
	return rows, nil
}
