package sqlite

import (
	"context"
	"strconv"
	"strings"

	"github.com/opencrm/crm/platform/store"
)

// compiler turns a normalised filter into a SQL condition with bound
// arguments. Field names reach SQL only through fieldExpr and typeExpr,
// after store.Normalize has validated them.
type compiler struct {
	b    strings.Builder
	args []any
}

// compileWhere normalises f and returns " WHERE <cond>" (or "" for nil)
// with its arguments.
func compileWhere(f store.Filter) (string, []any, error) {
	nf, err := store.Normalize(f)
	if err != nil {
		return "", nil, err
	}
	return whereOf(nf)
}

// whereOf compiles an already normalised filter.
func whereOf(f store.Filter) (string, []any, error) {
	if f == nil {
		return "", nil, nil
	}
	var c compiler
	c.b.WriteString(" WHERE ")
	c.filter(f)
	return c.b.String(), c.args, nil
}

func (c *compiler) filter(f store.Filter) {
	switch f := f.(type) {
	case nil:
		c.b.WriteString("1")
	case store.And:
		c.join(f, " AND ", "1")
	case store.Or:
		c.join(f, " OR ", "0")
	case store.Cmp:
		e := fieldExpr(f.Field)
		switch f.Op {
		case store.OpNe:
			c.b.WriteString(e + " IS NOT ?")
		default:
			c.b.WriteString(e + " " + string(f.Op) + " ?")
		}
		c.args = append(c.args, sqlValue(f.Value))
	case store.In:
		e := fieldExpr(f.Field)
		switch {
		case len(f.Values) == 0 && f.Not:
			c.b.WriteString("1")
			return
		case len(f.Values) == 0:
			c.b.WriteString("0")
			return
		case f.Not:
			c.b.WriteString("(" + e + " IS NULL OR " + e + " NOT IN (")
		default:
			c.b.WriteString(e + " IN (")
		}
		for i, v := range f.Values {
			if i > 0 {
				c.b.WriteString(",")
			}
			c.b.WriteString("?")
			c.args = append(c.args, sqlValue(v))
		}
		c.b.WriteString(")")
		if f.Not {
			c.b.WriteString(")")
		}
	case store.Like:
		e, t := fieldExpr(f.Field), typeExpr(f.Field)
		if f.Not {
			c.b.WriteString("(" + t + " IS NULL OR (" + t + "='text' AND " + e + ` NOT LIKE ? ESCAPE '\'))`)
		} else {
			c.b.WriteString("(" + t + "='text' AND " + e + ` LIKE ? ESCAPE '\')`)
		}
		c.args = append(c.args, likePattern(f.Pattern))
	case store.Null:
		if f.Not {
			c.b.WriteString(fieldExpr(f.Field) + " IS NOT NULL")
		} else {
			c.b.WriteString(fieldExpr(f.Field) + " IS NULL")
		}
	default:
		// store.Normalize removes Not and rejects unknown nodes.
		panic("sqlite: compile of an unnormalised filter")
	}
}

func (c *compiler) join(fs []store.Filter, op, empty string) {
	if len(fs) == 0 {
		c.b.WriteString(empty)
		return
	}
	c.b.WriteString("(")
	for i, f := range fs {
		if i > 0 {
			c.b.WriteString(op)
		}
		c.filter(f)
	}
	c.b.WriteString(")")
}

// sqlValue is the bound form of a filter value: json_extract reads JSON
// true and false as 1 and 0.
func sqlValue(v any) any {
	if b, ok := v.(bool); ok {
		if b {
			return int64(1)
		}
		return int64(0)
	}
	return v
}

// likePattern adapts the port's pattern to SQLite's LIKE with ESCAPE '\':
// the port reads a trailing lone backslash as itself, SQLite as no match.
func likePattern(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' {
			if i+1 == len(p) {
				return p + `\`
			}
			i++
		}
	}
	return p
}

// orderBy builds the ORDER BY clause of a validated full sort. SQLite puts
// NULL first ascending and last descending, as the port requires.
func orderBy(sort []store.SortKey) string {
	var b strings.Builder
	b.WriteString(" ORDER BY ")
	for i, k := range sort {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(fieldExpr(k.Field))
		if k.Desc {
			b.WriteString(" DESC")
		}
	}
	return b.String()
}

// Find returns one page; it fetches one document more than the limit to
// know whether there is a next page.
func (s *Store) Find(ctx context.Context, tenant, coll string, q store.Query) (store.Page, error) {
	if err := checkNames(tenant, coll); err != nil {
		return store.Page{}, err
	}
	sql, args, limit, err := s.findSQL(coll, q)
	if err != nil {
		return store.Page{}, err
	}
	db, err := s.reader(ctx, tenant)
	if err != nil {
		return store.Page{}, err
	}
	rows, err := db.QueryContext(ctx, sql, args...)
	if err != nil {
		return store.Page{}, driverError("find", err)
	}
	defer rows.Close()
	page := store.Page{Items: make([]store.Doc, 0, min(limit, 64))}
	var last store.Doc
	more := false
	for rows.Next() {
		if len(page.Items) == limit {
			more = true
			break
		}
		var id string
		var version int64
		var data []byte
		if err := rows.Scan(&id, &version, &data); err != nil {
			return store.Page{}, driverError("find", err)
		}
		doc, err := s.decode(id, version, data)
		if err != nil {
			return store.Page{}, err
		}
		last = doc
		page.Items = append(page.Items, project(doc, q.Fields))
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, driverError("find", err)
	}
	if more {
		page.Next = store.KeysetOf(store.FullSort(q.Sort), last)
	}
	return page, nil
}

// findSQL validates a query and builds its statement.
func (s *Store) findSQL(coll string, q store.Query) (string, []any, int, error) {
	limit := q.Limit
	if limit < 0 {
		return "", nil, 0, store.ErrInvalidQuery.WithField("limit", "minimum", "the limit must not be negative")
	}
	if limit == 0 {
		limit = store.DefaultLimit
	}
	for _, f := range q.Fields {
		if err := store.ValidField(f); err != nil {
			return "", nil, 0, err
		}
	}
	sort := store.FullSort(q.Sort)
	for _, k := range sort {
		if err := store.ValidField(k.Field); err != nil {
			return "", nil, 0, err
		}
	}
	f, err := store.Normalize(q.Filter)
	if err != nil {
		return "", nil, 0, err
	}
	if len(q.After) > 0 {
		after, err := store.AfterFilter(sort, q.After)
		if err != nil {
			return "", nil, 0, err
		}
		if f == nil {
			f = after
		} else {
			f = store.And{f, after}
		}
	}
	where, args, err := whereOf(f)
	if err != nil {
		return "", nil, 0, err
	}
	sql := `SELECT id,version,doc FROM ` + tableName(coll) + where + orderBy(sort) +
		` LIMIT ` + strconv.Itoa(limit+1)
	return sql, args, limit, nil
}

// Count returns how many documents match the filter.
func (s *Store) Count(ctx context.Context, tenant, coll string, filter store.Filter) (int64, error) {
	if err := checkNames(tenant, coll); err != nil {
		return 0, err
	}
	where, args, err := compileWhere(filter)
	if err != nil {
		return 0, err
	}
	db, err := s.reader(ctx, tenant)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+tableName(coll)+where, args...).Scan(&n); err != nil {
		return 0, driverError("count", err)
	}
	return n, nil
}
