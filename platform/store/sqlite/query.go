package sqlite

import (
	"context"
	"slices"
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
	// plain writes fields (but keep) as +expr, which selects the same rows
	// but keeps SQLite from using an index for them (plan.go).
	plain bool
	keep  string
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
func whereOf(f store.Filter) (string, []any, error) { return compileNormal(f, false, "") }

// compileNormal compiles a normalised filter; plain and keep: see compiler.
func compileNormal(f store.Filter, plain bool, keep string) (string, []any, error) {
	if f == nil {
		return "", nil, nil
	}
	c := compiler{plain: plain, keep: keep}
	c.b.WriteString(" WHERE ")
	c.filter(f)
	return c.b.String(), c.args, nil
}

// field is the expression of a field in a condition.
func (c *compiler) field(name string) string {
	if c.plain && name != c.keep {
		return "+" + fieldExpr(name)
	}
	return fieldExpr(name)
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
		e := c.field(f.Field)
		switch f.Op {
		case store.OpNe:
			c.b.WriteString(e + " IS NOT ?")
		default:
			c.b.WriteString(e + " " + string(f.Op) + " ?")
		}
		c.args = append(c.args, sqlValue(f.Value))
	case store.In:
		e := c.field(f.Field)
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
		e, t := c.field(f.Field), typeExpr(f.Field)
		if f.Not {
			c.b.WriteString("(" + t + " IS NULL OR (" + t + "='text' AND " + e + ` NOT LIKE ? ESCAPE '\'))`)
		} else {
			c.b.WriteString("(" + t + "='text' AND " + e + ` LIKE ? ESCAPE '\')`)
		}
		c.args = append(c.args, likePattern(f.Pattern))
	case store.Null:
		if f.Not {
			c.b.WriteString(c.field(f.Field) + " IS NOT NULL")
		} else {
			c.b.WriteString(c.field(f.Field) + " IS NULL")
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
	fq, stmts, err := s.statements(ctx, tenant, coll, q)
	if err != nil {
		return store.Page{}, err
	}
	db, err := s.reader(ctx, tenant)
	if err != nil {
		return store.Page{}, err
	}
	page := store.Page{Items: make([]store.Doc, 0, min(fq.limit, 64))}
	var last store.Doc
	for _, st := range stmts {
		more, err := s.scan(ctx, db, st, fq.limit, q.Fields, &page, &last)
		if err != nil {
			return store.Page{}, err
		}
		if more {
			page.Next = store.KeysetOf(fq.sort, last)
			break
		}
	}
	return page, nil
}

// scan appends a statement's documents to page until it holds limit; more
// tells whether there was one more.
func (s *Store) scan(ctx context.Context, db querier, st statement, limit int, fields []string, page *store.Page, last *store.Doc) (more bool, err error) {
	rows, err := db.QueryContext(ctx, st.sql, st.args...)
	if err != nil {
		return false, driverError("find", err)
	}
	defer rows.Close()
	for rows.Next() {
		if len(page.Items) == limit {
			return true, nil
		}
		var id string
		var version int64
		var data []byte
		if err := rows.Scan(&id, &version, &data); err != nil {
			return false, driverError("find", err)
		}
		doc, err := s.decode(id, version, data)
		if err != nil {
			return false, err
		}
		*last = doc
		page.Items = append(page.Items, project(doc, fields))
	}
	return false, driverError("find", rows.Err())
}

// findQuery is a validated query: its normalised filter, its keyset
// condition, its full sort and its limit.
type findQuery struct {
	filter, after store.Filter
	sort          []store.SortKey
	limit         int
	// below is set when the first sort key is descending and the page
	// starts after a value v of it: the rest of the order is the keys
	// <= v and then the nulls (last in descending order). store.AfterFilter
	// says so with an OR that SQLite answers by collecting and sorting
	// every row below v; two statements, one seeking x <= v in the index
	// and then one for the nulls, read only what the page needs.
	below any
}

// prepareFind validates a query.
func prepareFind(q store.Query) (findQuery, error) {
	fq := findQuery{limit: q.Limit, sort: store.FullSort(q.Sort)}
	if fq.limit < 0 {
		return fq, store.ErrInvalidQuery.WithField("limit", "minimum", "the limit must not be negative")
	}
	if fq.limit == 0 {
		fq.limit = store.DefaultLimit
	}
	for _, f := range q.Fields {
		if err := store.ValidField(f); err != nil {
			return fq, err
		}
	}
	for _, k := range fq.sort {
		if err := store.ValidField(k.Field); err != nil {
			return fq, err
		}
	}
	var err error
	if fq.filter, err = store.Normalize(q.Filter); err != nil {
		return fq, err
	}
	if len(q.After) > 0 {
		if fq.after, err = store.AfterFilter(fq.sort, q.After); err != nil {
			return fq, err
		}
		if v := store.NormalizeValue(q.After[0]); fq.sort[0].Desc && v != nil {
			fq.below = v
		}
	}
	return fq, nil
}

// statement is one SQL statement with its arguments.
type statement struct {
	sql  string
	args []any
}

// statements validates a query and builds the statements Find runs in
// turn, with the plan of plan.go.
func (s *Store) statements(ctx context.Context, tenant, coll string, q store.Query) (findQuery, []statement, error) {
	fq, err := prepareFind(q)
	if err != nil {
		return fq, nil, err
	}
	t, err := s.tenant(tenant)
	if err != nil {
		return fq, nil, err
	}
	first := fq.sort[0].Field
	where, args, err := whereOf(fq.filter)
	if err != nil {
		return fq, nil, err
	}
	if t.plans.walkSort(ctx, t, coll, fq.filter, where, args, fq.sort, fq.limit) {
		// Plain: the filter selects the same rows, the sort's index is walked.
		if where, args, err = compileNormal(fq.filter, true, first); err != nil {
			return fq, nil, err
		}
	}
	if fq.below == nil {
		st, err := fq.sql(coll, where, args, fq.after)
		return fq, []statement{st}, err
	}
	upper, err := store.Normalize(store.And{store.Cmp{Field: first, Op: store.OpLte, Value: fq.below}, fq.after})
	if err != nil {
		return fq, nil, err
	}
	head, err := fq.sql(coll, where, args, upper)
	if err != nil {
		return fq, nil, err
	}
	tail, err := fq.sql(coll, where, args, store.Null{Field: first})
	return fq, []statement{head, tail}, err
}

// sql builds a statement of the query from its compiled filter (where,
// args) and the keyset condition after.
func (fq findQuery) sql(coll, where string, args []any, after store.Filter) (statement, error) {
	if after != nil {
		w, a, err := whereOf(after)
		if err != nil {
			return statement{}, err
		}
		if where == "" {
			where = w
		} else {
			where = " WHERE (" + strings.TrimPrefix(where, " WHERE ") + ") AND (" + strings.TrimPrefix(w, " WHERE ") + ")"
		}
		args = append(slices.Clip(args), a...) // head and tail share the filter's args
	}
	return statement{sql: `SELECT id,version,doc FROM ` + tableName(coll) + where + orderBy(fq.sort) +
		` LIMIT ` + strconv.Itoa(fq.limit+1), args: args}, nil
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
