package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/opencrm/crm/platform/store"
)

// EnsureCollection creates the collection's table if it does not exist.
func (s *Store) EnsureCollection(ctx context.Context, tenant, coll string) error {
	if err := checkNames(tenant, coll); err != nil {
		return err
	}
	return s.inTx(ctx, tenant, func(q querier) error {
		if _, err := q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+tableName(coll)+
			` (id TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL, doc BLOB NOT NULL) WITHOUT ROWID`); err != nil {
			return driverError("create collection", err)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO _collections(name) VALUES(?) ON CONFLICT DO NOTHING`, coll); err != nil {
			return driverError("create collection", err)
		}
		return nil
	})
}

// DropCollection drops the collection's table, which drops its indexes.
func (s *Store) DropCollection(ctx context.Context, tenant, coll string) error {
	if err := checkNames(tenant, coll); err != nil {
		return err
	}
	defer s.forgetPlans(tenant, coll)
	return s.inTx(ctx, tenant, func(q querier) error {
		if _, err := q.ExecContext(ctx, `DROP TABLE IF EXISTS `+tableName(coll)); err != nil {
			return driverError("drop collection", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM _collections WHERE name=?`, coll); err != nil {
			return driverError("drop collection", err)
		}
		return nil
	})
}

// Collections lists the tenant's collections in byte order of their names.
func (s *Store) Collections(ctx context.Context, tenant string) ([]string, error) {
	q, err := s.reader(ctx, tenant)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT name FROM _collections ORDER BY name`)
	if err != nil {
		return nil, driverError("list collections", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, driverError("list collections", err)
		}
		out = append(out, name)
	}
	return out, driverError("list collections", rows.Err())
}

// Indexes lists the collection's secondary indexes in name order.
func (s *Store) Indexes(ctx context.Context, tenant, coll string) ([]store.Index, error) {
	if err := checkNames(tenant, coll); err != nil {
		return nil, err
	}
	q, err := s.reader(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return loadIndexes(ctx, q, coll)
}

// loadIndexes reads the index definitions recorded for coll, sorted by name.
func loadIndexes(ctx context.Context, q querier, coll string) ([]store.Index, error) {
	var raw string
	err := q.QueryRowContext(ctx, `SELECT indexes FROM _collections WHERE name=?`, coll).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrUnknownCollection
	}
	if err != nil {
		return nil, driverError("read indexes", err)
	}
	out := []store.Index{}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, internal("read indexes", err)
	}
	slices.SortFunc(out, func(a, b store.Index) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// SyncIndexes makes the collection's indexes exactly the given set, in one
// transaction: a unique index that cannot be built over the existing
// documents rolls everything back and fails with store.ErrDuplicate.
func (s *Store) SyncIndexes(ctx context.Context, tenant, coll string, indexes []store.Index) error {
	if err := checkNames(tenant, coll); err != nil {
		return err
	}
	want := make(map[string]store.Index, len(indexes))
	for _, ix := range indexes {
		if err := validIndex(ix); err != nil {
			return err
		}
		if _, dup := want[ix.Name]; dup {
			return invalidIndex(ix.Name, "two indexes have the same name")
		}
		want[ix.Name] = ix
	}
	defer s.forgetPlans(tenant, coll)
	return s.inTx(ctx, tenant, func(q querier) error {
		have, err := loadIndexes(ctx, q, coll)
		if err != nil {
			return err
		}
		built := map[string]bool{}
		for _, ix := range have {
			if w, ok := want[ix.Name]; ok && sameIndex(w, ix) {
				built[ix.Name] = true
				continue
			}
			if _, err := q.ExecContext(ctx, `DROP INDEX IF EXISTS `+indexName(coll, ix.Name)); err != nil {
				return driverError("drop index", err)
			}
		}
		for _, ix := range indexes {
			if built[ix.Name] {
				continue
			}
			if _, err := q.ExecContext(ctx, createIndexSQL(coll, ix)); err != nil {
				if isUnique(err) {
					return store.DuplicateError(duplicateField(ix), err)
				}
				return driverError("create index", err)
			}
		}
		sorted := slices.Clone(indexes)
		slices.SortFunc(sorted, func(a, b store.Index) int { return strings.Compare(a.Name, b.Name) })
		raw, err := json.Marshal(sorted)
		if err != nil {
			return internal("record indexes", err)
		}
		if _, err := q.ExecContext(ctx, `UPDATE _collections SET indexes=? WHERE name=?`, string(raw), coll); err != nil {
			return driverError("record indexes", err)
		}
		return nil
	})
}

// createIndexSQL builds the CREATE INDEX statement of a validated index.
func createIndexSQL(coll string, ix store.Index) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX ")
	b.WriteString(indexName(coll, ix.Name))
	b.WriteString(" ON ")
	b.WriteString(tableName(coll))
	b.WriteString(" (")
	for i, k := range ix.Keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(fieldExpr(k.Field))
		if k.Desc {
			b.WriteString(" DESC")
		}
	}
	b.WriteString(")")
	return b.String()
}

func validIndex(ix store.Index) error {
	if err := store.ValidCollection(ix.Name); err != nil {
		return invalidIndex(ix.Name, "invalid index name")
	}
	if len(ix.Keys) == 0 {
		return invalidIndex(ix.Name, "an index needs at least one key")
	}
	seen := map[string]bool{}
	for _, k := range ix.Keys {
		if err := store.ValidField(k.Field); err != nil {
			return err
		}
		if seen[k.Field] {
			return invalidIndex(ix.Name, "a field appears twice in the index")
		}
		seen[k.Field] = true
	}
	return nil
}

func invalidIndex(name, msg string) error {
	e := store.ErrInvalidName.WithField("index", "invalid", msg)
	e.Message = "invalid index " + name + ": " + msg
	return e
}

func sameIndex(a, b store.Index) bool {
	return a.Name == b.Name && a.Unique == b.Unique && slices.Equal(a.Keys, b.Keys)
}

// duplicateField names the field of a unique-index violation: the index's
// last key, which for a compound unique index such as (account, email) is
// the one that distinguishes records within the group.
func duplicateField(ix store.Index) string {
	return ix.Keys[len(ix.Keys)-1].Field
}

// duplicateFromError maps a unique violation of coll back to its field:
// the primary key is "id", an index is looked up in the catalogue.
func duplicateFromError(ctx context.Context, q querier, coll string, err error) error {
	name := violatedIndex(err)
	if name == "" {
		return store.DuplicateError("id", err)
	}
	prefix := indexPrefix(coll)
	if strings.HasPrefix(name, prefix) {
		if list, lerr := loadIndexes(ctx, q, coll); lerr == nil {
			for _, ix := range list {
				if encodeName(ix.Name) == name[len(prefix):] {
					return store.DuplicateError(duplicateField(ix), err)
				}
			}
		}
	}
	return store.ErrDuplicate.WithCause(err)
}

// forgetPlans drops the planner's cached facts about a collection whose
// indexes changed (plan.go).
func (s *Store) forgetPlans(tenant, coll string) {
	if t, err := s.tenant(tenant); err == nil {
		t.plans.forget(coll)
	}
}
