package records

import (
	"context"
	"fmt"

	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

// recordHistory appends one entry per changed field marked x-crm-history.
func (s *Service) recordHistory(ctx context.Context, c *call, old, saved store.Doc) error {
	at := s.stamp()
	for _, f := range c.obj.Fields {
		if !f.History || f.Deleted {
			continue
		}
		from, to := old[f.Name], saved[f.Name]
		if equalJSON(from, to) {
			continue
		}
		h := store.Doc{"id": id.New(), "object": c.obj.APIName, "record": saved["id"], "field": f.Name,
			"at": at, "by": c.p.UserID}
		if from != nil {
			h["from"] = from
		}
		if to != nil {
			h["to"] = to
		}
		if _, err := s.st.Insert(ctx, c.tenant, historyColl, h); err != nil {
			return fmt.Errorf("records: field history: %w", err)
		}
	}
	return nil
}

// Change is one entry of a record's field history.
type Change struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
	At    string `json:"at"`
	By    string `json:"by"`
}

// History lists who changed the record's tracked fields, newest first. Fields
// the caller may not read are left out.
func (s *Service) History(ctx context.Context, object, recID string) ([]Change, error) {
	c, err := s.begin(ctx, object, ActRead)
	if err != nil {
		return nil, err
	}
	if _, err := s.load(ctx, c, recID, ActRead); err != nil {
		return nil, err
	}
	out := []Change{}
	q := store.Query{Filter: store.Eq("record", recID), Sort: []store.SortKey{{Field: "at", Desc: true}}, Limit: 500}
	page, err := s.st.Find(ctx, c.tenant, historyColl, q)
	if err != nil {
		return nil, fmt.Errorf("records: history: %w", err)
	}
	for _, d := range page.Items {
		name, _ := d["field"].(string)
		f, ok := c.obj.Field(name)
		if !ok || !c.readable(name) || d["object"] != c.obj.APIName {
			continue
		}
		ch := Change{Field: name, From: f.Render(d["from"]), To: f.Render(d["to"])}
		ch.At, _ = d["at"].(string)
		ch.By, _ = d["by"].(string)
		out = append(out, ch)
	}
	return out, nil
}
