package mongo

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/opencrm/crm/platform/store"
)

// bucketLen is the prefix of a fixed-width date string that names a bucket.
var bucketLen = map[string]int{"day": 10, "month": 7, "year": 4}

// Aggregate groups the matching documents with $group. On MongoDB the date
// buckets are computed by the server from the fixed-width strings; FerretDB
// evaluates no expression in $group, so there the server groups by the
// whole value and the adapter merges the groups into buckets (count and
// sum, the only measures FerretDB computes, add up exactly).
func (s *Store) Aggregate(ctx context.Context, tenant, coll string, q store.AggregateQuery) ([]store.AggregateRow, error) {
	c, err := s.collection(ctx, tenant, coll)
	if err != nil {
		return nil, err
	}
	if err := s.checkAggregate(q); err != nil {
		return nil, err
	}
	filter, err := compileFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	merge := false
	for _, g := range q.GroupBy {
		merge = merge || (s.ferret && g.By != "")
	}
	pipeline := bson.A{}
	if len(filter) > 0 {
		pipeline = append(pipeline, bson.D{{Key: "$match", Value: filter}})
	}
	pipeline = append(pipeline, groupStages(q, merge, q.Limit, !s.ferret)...)
	cur, err := c.Aggregate(ctx, pipeline)
	if err != nil {
		return nil, mapErr("aggregate", err)
	}
	defer cur.Close(ctx)
	var rows []store.AggregateRow
	for cur.Next(ctx) {
		row, err := decodeRow(cur.Current, q)
		if err != nil {
			return nil, mapErr("aggregate", err)
		}
		rows = append(rows, row)
	}
	if err := cur.Err(); err != nil {
		return nil, mapErr("aggregate", err)
	}
	if s.ferret && len(q.Measures) == 1 && q.Measures[0].Op == store.OpSum {
		if err := s.nilEmptySums(ctx, c, filter, q, merge, rows); err != nil {
			return nil, err
		}
	}
	if merge {
		rows = mergeBuckets(rows, q)
	}
	return rows, nil
}

// nilEmptySums sets to nil the sum of each group where no document has the
// field: $sum says 0 there, the port says null. MongoDB learns it from a
// $max beside the $sum (see groupStages); FerretDB, which computes one
// accumulator per $group, needs a second pipeline that counts the groups
// of documents having the field.
func (s *Store) nilEmptySums(ctx context.Context, c *mongo.Collection, filter bson.D, q store.AggregateQuery, raw bool, rows []store.AggregateRow) error {
	has := bson.D{{Key: path(q.Measures[0].Field), Value: bson.D{{Key: "$ne", Value: nil}}}}
	match := has
	if len(filter) > 0 {
		match = bson.D{{Key: "$and", Value: bson.A{filter, has}}}
	}
	cq := store.AggregateQuery{GroupBy: q.GroupBy, Measures: []store.Measure{{Op: store.OpCount}}}
	pipeline := append(bson.A{bson.D{{Key: "$match", Value: match}}}, groupStages(cq, raw, 0, false)...)
	cur, err := c.Aggregate(ctx, pipeline)
	if err != nil {
		return mapErr("aggregate", err)
	}
	defer cur.Close(ctx)
	present := map[string]bool{}
	for cur.Next(ctx) {
		row, err := decodeRow(cur.Current, cq)
		if err != nil {
			return mapErr("aggregate", err)
		}
		present[keyString(row.Keys)] = true
	}
	if err := cur.Err(); err != nil {
		return mapErr("aggregate", err)
	}
	for i := range rows {
		if !present[keyString(rows[i].Keys)] {
			rows[i].Values[0] = nil
		}
	}
	return nil
}

// checkAggregate validates the query and refuses what this backend cannot
// compute correctly (rather than returning wrong numbers).
func (s *Store) checkAggregate(q store.AggregateQuery) error {
	for _, g := range q.GroupBy {
		if err := store.ValidField(g.Field); err != nil {
			return err
		}
		if _, ok := bucketLen[g.By]; !ok && g.By != "" && g.By != "quarter" {
			return store.ErrInvalidQuery.WithField(g.Field, "bucket", "unknown date bucket "+strconv.Quote(g.By))
		}
	}
	if len(q.Measures) == 0 {
		return store.ErrInvalidQuery.WithField("measures", "required", "an aggregate needs at least one measure")
	}
	for _, m := range q.Measures {
		switch m.Op {
		case store.OpCount:
			continue
		case store.OpSum, store.OpAvg, store.OpMin, store.OpMax:
		default:
			return store.ErrInvalidQuery.WithField("measures", "op", "unknown measure "+strconv.Quote(string(m.Op)))
		}
		if err := store.ValidField(m.Field); err != nil {
			return err
		}
	}
	if q.Limit < 0 {
		return store.ErrInvalidQuery.WithField("limit", "minimum", "limit must not be negative")
	}
	for _, m := range q.Measures {
		if !s.caps.Has(m.Op) {
			return store.ErrInvalidQuery.WithField("measures", "unsupported", s.caps.Name+" cannot compute "+string(m.Op))
		}
	}
	if len(q.Measures) > 1 && !s.caps.MultiMeasure {
		return store.ErrInvalidQuery.WithField("measures", "unsupported", s.caps.Name+" computes one measure per aggregate")
	}
	return nil
}

// groupStages builds $group, $sort and $limit. With raw, date buckets are
// left to mergeBuckets (and so is the limit). With presence, each sum gets a
// $max of its field beside it, null when no document of the group has the
// field (decodeRow then makes the sum nil).
func groupStages(q store.AggregateQuery, raw bool, limit int, presence bool) bson.A {
	var id any // one group of everything when there is no key
	sortKeys := bson.D{}
	if len(q.GroupBy) > 0 {
		keys := bson.D{}
		for i, g := range q.GroupBy {
			by := g.By
			if raw {
				by = ""
			}
			keys = append(keys, bson.E{Key: keyName(i), Value: bucketExpr(path(g.Field), by)})
			sortKeys = append(sortKeys, bson.E{Key: "_id." + keyName(i), Value: 1})
		}
		id = keys
	}
	group := bson.D{{Key: "_id", Value: id}}
	for i, m := range q.Measures {
		group = append(group, bson.E{Key: measureName(i), Value: accumulator(m)})
		if presence && m.Op == store.OpSum {
			group = append(group, bson.E{Key: presenceName(i), Value: bson.D{{Key: "$max", Value: "$" + path(m.Field)}}})
		}
	}
	stages := bson.A{bson.D{{Key: "$group", Value: group}}}
	if len(sortKeys) > 0 {
		stages = append(stages, bson.D{{Key: "$sort", Value: sortKeys}})
	}
	if limit > 0 && !raw {
		stages = append(stages, bson.D{{Key: "$limit", Value: int64(limit)}})
	}
	return stages
}

func keyName(i int) string      { return "k" + strconv.Itoa(i) }
func measureName(i int) string  { return "m" + strconv.Itoa(i) }
func presenceName(i int) string { return "p" + strconv.Itoa(i) }

// bucketExpr is the group key of a stored path: the value, or the bucket of
// a date string (null for a value that is not a string).
func bucketExpr(p, by string) any {
	ref := "$" + p
	if by == "" {
		return ref
	}
	var val any
	if by == "quarter" {
		month := bson.D{{Key: "$substrBytes", Value: bson.A{ref, 5, 2}}}
		branch := func(upTo, q string) bson.D {
			return bson.D{{Key: "case", Value: bson.D{{Key: "$lte", Value: bson.A{month, upTo}}}}, {Key: "then", Value: q}}
		}
		val = bson.D{{Key: "$concat", Value: bson.A{
			bson.D{{Key: "$substrBytes", Value: bson.A{ref, 0, 4}}},
			"-Q",
			bson.D{{Key: "$switch", Value: bson.D{
				{Key: "branches", Value: bson.A{branch("03", "1"), branch("06", "2"), branch("09", "3")}},
				{Key: "default", Value: "4"},
			}}},
		}}}
	} else {
		val = bson.D{{Key: "$substrBytes", Value: bson.A{ref, 0, bucketLen[by]}}}
	}
	return bson.D{{Key: "$cond", Value: bson.D{
		{Key: "if", Value: bson.D{{Key: "$eq", Value: bson.A{bson.D{{Key: "$type", Value: ref}}, "string"}}}},
		{Key: "then", Value: val},
		{Key: "else", Value: nil},
	}}}
}

func accumulator(m store.Measure) bson.D {
	if m.Op == store.OpCount {
		return bson.D{{Key: "$sum", Value: 1}}
	}
	return bson.D{{Key: "$" + string(m.Op), Value: "$" + path(m.Field)}}
}

// decodeRow reads one $group result.
func decodeRow(raw bson.Raw, q store.AggregateQuery) (store.AggregateRow, error) {
	row := store.AggregateRow{Keys: make([]any, len(q.GroupBy)), Values: make([]any, len(q.Measures))}
	if keys, ok := raw.Lookup("_id").DocumentOK(); ok {
		for i := range q.GroupBy {
			v, err := decodeValue(keys.Lookup(keyName(i)))
			if err != nil {
				return row, err
			}
			row.Keys[i] = v
		}
	}
	for i, m := range q.Measures {
		v, err := decodeValue(raw.Lookup(measureName(i)))
		if err != nil {
			return row, err
		}
		if m.Op == store.OpCount && v == nil {
			v = int64(0)
		}
		if p := raw.Lookup(presenceName(i)); m.Op == store.OpSum && p.Type == bson.TypeNull {
			v = nil
		}
		row.Values[i] = v
	}
	return row, nil
}

// mergeBuckets turns rows grouped by whole values into rows grouped by the
// query's buckets, sorted by key, limited.
func mergeBuckets(rows []store.AggregateRow, q store.AggregateQuery) []store.AggregateRow {
	var out []store.AggregateRow
	index := map[string]int{}
	for _, r := range rows {
		keys := make([]any, len(r.Keys))
		for i, g := range q.GroupBy {
			keys[i] = bucket(r.Keys[i], g.By)
		}
		id := keyString(keys)
		j, ok := index[id]
		if !ok {
			index[id] = len(out)
			out = append(out, store.AggregateRow{Keys: keys, Values: slices.Clone(r.Values)})
			continue
		}
		for i, m := range q.Measures {
			out[j].Values[i] = combine(m.Op, out[j].Values[i], r.Values[i])
		}
	}
	slices.SortStableFunc(out, func(a, b store.AggregateRow) int {
		for i := range a.Keys {
			if c := compareNullsFirst(a.Keys[i], b.Keys[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

// bucket computes in Go what bucketExpr computes on the server.
func bucket(v any, by string) any {
	s, ok := v.(string)
	if by == "" {
		return v
	}
	if !ok {
		return nil
	}
	prefix := func(n int) string { return s[:min(n, len(s))] }
	if by != "quarter" {
		return prefix(bucketLen[by])
	}
	month := ""
	if len(s) > 5 {
		month = s[5:min(7, len(s))]
	}
	q := "4"
	switch {
	case month <= "03":
		q = "1"
	case month <= "06":
		q = "2"
	case month <= "09":
		q = "3"
	}
	return prefix(4) + "-Q" + q
}

// combine merges two partial results of one measure.
func combine(op store.Op, a, b any) any {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	switch op {
	case store.OpCount, store.OpSum:
		x, xi := a.(int64)
		y, yi := b.(int64)
		if xi && yi {
			return x + y
		}
		return toFloat(a) + toFloat(b)
	case store.OpMin, store.OpMax:
		c, ok := store.Compare(a, b)
		if !ok {
			return a
		}
		if (op == store.OpMin) == (c <= 0) {
			return a
		}
		return b
	}
	return a
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func keyString(keys []any) string {
	var b []byte
	for _, k := range keys {
		b = strconv.AppendQuote(b, stringOf(k))
	}
	return string(b)
}

// stringOf is a map key for a group key value: numbers that the server
// groups together (2 and 2.0) give the same string.
func stringOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "0"
	case string:
		return "s" + x
	case int64:
		return "n" + strconv.FormatFloat(float64(x), 'g', -1, 64)
	case float64:
		return "n" + strconv.FormatFloat(x, 'g', -1, 64)
	}
	return "x" + fmt.Sprint(v)
}

func compareNullsFirst(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	c, _ := store.Compare(a, b)
	return c
}
