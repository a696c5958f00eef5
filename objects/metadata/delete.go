package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// Delete removes an object. It is refused with a 409 while records exist
// unless purge is set, and always while another object's lookup or
// master-detail field points at it.
func (s *Service) Delete(ctx context.Context, tenant, apiName string, purge bool, by string) error {
	snap, err := s.snapshot(ctx, tenant, true)
	if err != nil {
		return err
	}
	e, ok := snap.objects[apiName]
	if !ok {
		return errs.New(errs.NotFound, "object.not_found", "no object named %q", apiName)
	}
	for name, other := range snap.objects {
		if name == apiName {
			continue
		}
		for _, f := range other.Object.Fields {
			if f.Target == apiName && !f.Deleted {
				return errs.New(errs.Conflict, "metadata.referenced", "%s.%s points at %s; remove that field first", name, f.Name, apiName).
					WithField(name+"."+f.Name, "references", "points at "+apiName)
			}
		}
	}
	if err := s.lock(ctx, tenant, apiName, ""); err != nil {
		return err
	}
	defer s.unlock(context.WithoutCancel(ctx), tenant, apiName)
	n, err := s.st.Count(ctx, tenant, apiName, nil)
	if err != nil && !errors.Is(err, store.ErrUnknownCollection) {
		return fmt.Errorf("metadata: count %s: %w", apiName, err)
	}
	if n > 0 && !purge {
		ce := errs.New(errs.Conflict, "object.has_records", "%s has %d records; delete them or pass purge=true", apiName, n)
		ce.Extra = map[string]any{"records": n}
		return ce
	}
	if err := s.st.DropCollection(ctx, tenant, apiName); err != nil {
		return fmt.Errorf("metadata: drop %s: %w", apiName, err)
	}
	if err := s.st.Delete(ctx, tenant, objectsColl, apiName, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("metadata: delete %s: %w", apiName, err)
	}
	return s.record(ctx, tenant, apiName, e.Version+1, "deleted", by, nil, "")
}

// Version is one entry of an object's history.
type Version struct {
	Version    int64            `json:"version"`
	Op         string           `json:"op"`
	At         string           `json:"at"`
	By         string           `json:"by"`
	Changes    []map[string]any `json:"changes"`
	Definition string           `json:"-"`
}

// History returns an object's versions, newest first.
func (s *Service) History(ctx context.Context, tenant, apiName string) ([]Version, error) {
	q := store.Query{Filter: store.Eq("object", apiName), Sort: []store.SortKey{{Field: "objectVersion", Desc: true}}, Limit: 200}
	var out []Version
	for {
		page, err := s.st.Find(ctx, tenant, historyColl, q)
		if err != nil {
			return nil, fmt.Errorf("metadata: history of %s: %w", apiName, err)
		}
		for _, d := range page.Items {
			v := Version{Changes: []map[string]any{}}
			v.Version, _ = store.NormalizeValue(d["objectVersion"]).(int64)
			v.Op, _ = d["op"].(string)
			v.At, _ = d["at"].(string)
			v.By, _ = d["by"].(string)
			v.Definition, _ = d["definition"].(string)
			if cs, ok := d["changes"].([]any); ok {
				for _, c := range cs {
					if m, ok := c.(map[string]any); ok {
						v.Changes = append(v.Changes, m)
					}
				}
			}
			out = append(out, v)
		}
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	if len(out) == 0 {
		if _, err := s.Object(ctx, tenant, apiName); err != nil {
			return nil, err
		}
	}
	return out, nil
}
