package sqlite

import (
	"context"
	"strconv"
	"strings"

	"github.com/opencrm/crm/platform/store"
)

// bucketExpr is the SQL of a group key over e, the field's value: the value
// itself, or a date bucket cut from the fixed-width date or datetime string.
func bucketExpr(g store.Group, e string) (string, error) {
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

// measureExpr is the SQL of one measure over the inner query's column col
// (the measured field's value). A sum over no values is 0; SQLite's sum
// stays an integer while every input is one.
func measureExpr(m store.Measure, col string) (string, error) {
	switch m.Op {
	case store.OpCount:
		if m.Field == "" {
			return "count(*)", nil
		}
		return "count(" + col + ")", nil
	case store.OpSum:
		return "coalesce(sum(" + col + "),0)", nil
	case store.OpAvg:
		return "avg(" + col + ")", nil
	case store.OpMin:
		return "min(" + col + ")", nil
	case store.OpMax:
		return "max(" + col + ")", nil
	}
	e := store.ErrInvalidQuery.WithField(m.Field, "measure", "unknown measure")
	e.Message = "unknown measure " + strconv.Quote(string(m.Op))
	return "", e
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
	// The inner query extracts the values, the outer one groups them. The
	// inner LIMIT -1 keeps SQLite from flattening the two: flattened, its
	// GROUP BY sorter would carry every whole document instead of a few
	// values (measured 4x slower at 100k documents).
	var inner, outer, keys []string
	for i, g := range q.GroupBy {
		if err := store.ValidField(g.Field); err != nil {
			return nil, err
		}
		v, k, t := "v"+strconv.Itoa(i), "k"+strconv.Itoa(i), "t"+strconv.Itoa(i)
		e, err := bucketExpr(g, v)
		if err != nil {
			return nil, err
		}
		inner = append(inner, fieldExpr(g.Field)+" AS "+v)
		if g.By == "" {
			// The JSON type tells a boolean key from the integers 1 and 0.
			inner = append(inner, typeExpr(g.Field)+" AS "+t)
			outer = append(outer, e+" AS "+k, t)
		} else {
			outer = append(outer, e+" AS "+k, "NULL")
		}
		keys = append(keys, k)
	}
	for i, m := range q.Measures {
		col := "m" + strconv.Itoa(i)
		if m.Field != "" || m.Op != store.OpCount {
			if err := store.ValidField(m.Field); err != nil {
				return nil, err
			}
			inner = append(inner, fieldExpr(m.Field)+" AS "+col)
		}
		e, err := measureExpr(m, col)
		if err != nil {
			return nil, err
		}
		outer = append(outer, e)
	}
	if len(inner) == 0 {
		inner = append(inner, "1")
	}
	if len(outer) == 0 {
		outer = append(outer, "count(*)")
	}
	where, args, err := compileWhere(q.Filter)
	if err != nil {
		return nil, err
	}
	query := "SELECT " + strings.Join(outer, ", ") + " FROM (SELECT " + strings.Join(inner, ", ") +
		" FROM " + tableName(coll) + where + " LIMIT -1)"
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
	vals := make([]any, len(outer))
	ptrs := make([]any, len(outer))
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
