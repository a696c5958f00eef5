package sqlite

import (
	"context"
	"strconv"
	"strings"

	"github.com/opencrm/crm/platform/store"
)

// bucketExpr is the SQL of a group key: the field's value, or a date bucket
// cut from the fixed-width date or datetime string.
func bucketExpr(g store.Group) (string, error) {
	e := fieldExpr(g.Field)
	switch g.By {
	case "":
		return e, nil
	case "day":
		return "substr(" + e + ",1,10)", nil
	case "month":
		return "substr(" + e + ",1,7)", nil
	case "year":
		return "substr(" + e + ",1,4)", nil
	case "quarter":
		return "(substr(" + e + ",1,4)||'-Q'||((CAST(substr(" + e + ",6,2) AS INTEGER)+2)/3))", nil
	}
	e2 := store.ErrInvalidQuery.WithField(g.Field, "bucket", "unknown date bucket")
	e2.Message = "unknown date bucket " + strconv.Quote(g.By)
	return "", e2
}

// measureExpr is the SQL of one measure. A sum over no values is 0; SQLite's
// sum stays an integer while every input is one.
func measureExpr(m store.Measure) (string, error) {
	if m.Op == store.OpCount {
		if m.Field == "" {
			return "count(*)", nil
		}
		if err := store.ValidField(m.Field); err != nil {
			return "", err
		}
		return "count(" + fieldExpr(m.Field) + ")", nil
	}
	if err := store.ValidField(m.Field); err != nil {
		return "", err
	}
	e := fieldExpr(m.Field)
	switch m.Op {
	case store.OpSum:
		return "coalesce(sum(" + e + "),0)", nil
	case store.OpAvg:
		return "avg(" + e + ")", nil
	case store.OpMin:
		return "min(" + e + ")", nil
	case store.OpMax:
		return "max(" + e + ")", nil
	}
	e2 := store.ErrInvalidQuery.WithField(m.Field, "measure", "unknown measure")
	e2.Message = "unknown measure " + strconv.Quote(string(m.Op))
	return "", e2
}

// Aggregate groups the matching documents and computes the measures of each
// group, ordered by the group keys ascending (nulls first).
func (s *Store) Aggregate(ctx context.Context, tenant, coll string, q store.AggregateQuery) ([]store.AggregateRow, error) {
	if err := checkNames(tenant, coll); err != nil {
		return nil, err
	}
	if q.Limit < 0 {
		return nil, store.ErrInvalidQuery.WithField("limit", "minimum", "the limit must not be negative")
	}
	var sel, keys []string
	for _, g := range q.GroupBy {
		if err := store.ValidField(g.Field); err != nil {
			return nil, err
		}
		e, err := bucketExpr(g)
		if err != nil {
			return nil, err
		}
		keys = append(keys, e)
		// The JSON type tells a boolean key from the integers 1 and 0.
		sel = append(sel, e, typeExpr(g.Field))
	}
	for _, m := range q.Measures {
		e, err := measureExpr(m)
		if err != nil {
			return nil, err
		}
		sel = append(sel, e)
	}
	if len(sel) == 0 {
		sel = append(sel, "count(*)")
	}
	where, args, err := compileWhere(q.Filter)
	if err != nil {
		return nil, err
	}
	query := "SELECT " + strings.Join(sel, ", ") + " FROM " + tableName(coll) + where
	if len(keys) > 0 {
		query += " GROUP BY " + strings.Join(keys, ", ") + " ORDER BY " + strings.Join(keys, ", ")
	}
	if q.Limit > 0 {
		query += " LIMIT " + strconv.Itoa(q.Limit)
	}
	db, err := s.reader(ctx, tenant)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, driverError("aggregate", err)
	}
	defer rows.Close()
	out := []store.AggregateRow{}
	vals := make([]any, len(sel))
	ptrs := make([]any, len(sel))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, driverError("aggregate", err)
		}
		row := store.AggregateRow{Keys: make([]any, len(q.GroupBy)), Values: make([]any, len(q.Measures))}
		for i, g := range q.GroupBy {
			row.Keys[i] = keyValue(vals[2*i], vals[2*i+1], g.By)
		}
		for i, m := range q.Measures {
			row.Values[i] = measureValue(vals[2*len(q.GroupBy)+i], m.Op)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, driverError("aggregate", err)
	}
	return out, nil
}

// keyValue turns a scanned group key back into the port's value types.
func keyValue(v, jsonType any, by string) any {
	if by == "" {
		switch jsonType {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return scanned(v)
}

// measureValue normalises a scanned measure: count is int64, avg float64.
func measureValue(v any, op store.Op) any {
	v = scanned(v)
	if op == store.OpAvg {
		if i, ok := v.(int64); ok {
			return float64(i)
		}
	}
	return v
}

// scanned turns driver values into the port's types ([]byte to string).
func scanned(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}
