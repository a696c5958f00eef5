package records

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// AggregateRequest is the body of an aggregate call.
type AggregateRequest struct {
	Filter   string      `json:"filter"`
	GroupBy  []GroupKey  `json:"groupBy"`
	Measures []MeasureIn `json:"measures"`
}

// GroupKey is a field name, or {"field": "createdAt", "by": "month"}.
type GroupKey struct {
	Field string `json:"field"`
	By    string `json:"by,omitempty"`
}

// UnmarshalJSON accepts a bare field name too.
func (g *GroupKey) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &g.Field)
	}
	type plain GroupKey
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(g))
}

// MeasureIn is one requested measure.
type MeasureIn struct {
	Op    string `json:"op"`
	Field string `json:"field,omitempty"`
}

// MaxGroups caps the rows of one aggregate.
const MaxGroups = 1000

// Aggregate groups the records the caller may see and measures each group.
// Rows name group keys by field and measures as "count" or op_field
// ("sum_amount").
func (s *Service) Aggregate(ctx context.Context, object string, req AggregateRequest) ([]map[string]any, error) {
	c, err := s.begin(ctx, object, ActRead)
	if err != nil {
		return nil, err
	}
	res := resolverFor(c)
	filter, err := query.ParseFilter(req.Filter, res)
	if err != nil {
		return nil, err
	}
	q := store.AggregateQuery{Limit: MaxGroups + 1}
	var problems []errs.FieldError
	bad := func(field, code, msg string) {
		problems = append(problems, errs.FieldError{Field: field, Code: code, Message: msg})
	}
	groupFields := make([]*schema.Field, len(req.GroupBy))
	for i, g := range req.GroupBy {
		f, ok := c.obj.Field(g.Field)
		if _, visible := res.Field(g.Field); !ok || !visible {
			bad("groupBy", "unknown_field", fmt.Sprintf("%q is not a field you can group by", g.Field))
			continue
		}
		if f.Kind() == schema.KindList {
			bad("groupBy", "multi_value", fmt.Sprintf("%q holds several values, so it cannot be grouped by", g.Field))
			continue
		}
		switch g.By {
		case "":
		case "day", "month", "quarter", "year":
			if f.Kind() != schema.KindDate && f.Kind() != schema.KindDateTime {
				bad("groupBy", "not_a_date", fmt.Sprintf("%q is not a date field, so it cannot be grouped by %s", g.Field, g.By))
			}
		default:
			bad("groupBy", "bad_bucket", fmt.Sprintf("by must be day, month, quarter or year, not %q", g.By))
		}
		groupFields[i] = f
		q.GroupBy = append(q.GroupBy, store.Group{Field: g.Field, By: g.By})
	}
	if len(req.Measures) == 0 {
		req.Measures = []MeasureIn{{Op: "count"}}
	}
	measureFields := make([]*schema.Field, len(req.Measures))
	for i, m := range req.Measures {
		op := store.Op(m.Op)
		switch op {
		case store.OpCount:
			q.Measures = append(q.Measures, store.Measure{Op: op})
			continue
		case store.OpSum, store.OpAvg, store.OpMin, store.OpMax:
		default:
			bad("measures", "bad_op", fmt.Sprintf("op must be count, sum, avg, min or max, not %q", m.Op))
			continue
		}
		f, ok := c.obj.Field(m.Field)
		if _, visible := res.Field(m.Field); !ok || !visible {
			bad("measures", "unknown_field", fmt.Sprintf("%q is not a field you can measure", m.Field))
			continue
		}
		if f.Kind() == schema.KindList {
			bad("measures", "multi_value", fmt.Sprintf("%q holds several values, so it cannot be measured with %s", m.Field, op))
			continue
		}
		if (op == store.OpSum || op == store.OpAvg) && f.Kind() != schema.KindNumber {
			bad("measures", "not_a_number", fmt.Sprintf("%s needs a number field; %q is not one", op, m.Field))
			continue
		}
		if !s.st.Capabilities().Has(op) {
			bad("measures", "unsupported", fmt.Sprintf("this deployment's store cannot compute %s", op))
			continue
		}
		measureFields[i] = f
		q.Measures = append(q.Measures, store.Measure{Op: op, Field: m.Field})
	}
	if len(problems) > 0 {
		e := errs.New(errs.Malformed, "aggregate.invalid", "the aggregate request is invalid: %s", problems[0].Message)
		e.Fields = problems
		return nil, e
	}
	if len(q.Measures) > 1 && !s.st.Capabilities().MultiMeasure {
		return nil, errs.New(errs.Invalid, "aggregate.unsupported", "this deployment's store computes one measure per request")
	}
	visible, err := s.guard.Visible(ctx, c.p, c.obj, ActRead)
	if err != nil {
		return nil, err
	}
	q.Filter = and(filter, visible)
	rows, err := s.st.Aggregate(ctx, c.tenant, c.obj.APIName, q)
	if err != nil {
		return nil, fmt.Errorf("records: aggregate %s: %w", object, err)
	}
	if len(rows) > MaxGroups {
		return nil, errs.New(errs.Invalid, "aggregate.too_many_groups", "more than %d groups: filter or group more coarsely", MaxGroups)
	}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		row := map[string]any{}
		for j, g := range req.GroupBy {
			v := r.Keys[j]
			if g.By == "" && v != nil {
				v = groupFields[j].Render(v)
			}
			row[g.Field] = v
		}
		for j, m := range req.Measures {
			name := "count"
			if m.Op != "count" {
				name = m.Op + "_" + m.Field
			}
			row[name] = renderMeasure(measureFields[j], store.Op(m.Op), r.Values[j])
		}
		out[i] = row
	}
	return out, nil
}

// renderMeasure turns a stored measure into API form: currency sums, mins
// and maxes back to exact decimals, currency averages to decimals.
func renderMeasure(f *schema.Field, op store.Op, v any) any {
	if f == nil || v == nil || op == store.OpCount {
		return v
	}
	if r := f.Result(); r != nil && r.TypeName == "currency" {
		f = r // a roll-up of currency is stored in minor units like a currency field: rollup.go
	}
	if f.TypeName != "currency" {
		if op == store.OpMin || op == store.OpMax {
			return f.Render(v)
		}
		return v
	}
	switch n := store.NormalizeValue(v).(type) {
	case int64:
		return f.Render(n)
	case float64:
		return n / math.Pow10(f.Scale)
	}
	return v
}
