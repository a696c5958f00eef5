package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

// queryPlan returns the EXPLAIN QUERY PLAN lines of the statement Find runs.
func queryPlan(t *testing.T, s *Store, tenant, coll string, q store.Query) string {
	t.Helper()
	_, stmts, err := s.statements(context.Background(), tenant, coll, q)
	if err != nil {
		t.Fatalf("statements: %v", err)
	}
	query, args := stmts[0].sql, stmts[0].args
	db, err := s.tenant(tenant)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.readers.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

func TestFind_usesExpressionIndexes(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	mustCollection(t, s, "acme", "Lead",
		store.Index{Name: "by_owner_status_created", Keys: []store.IndexKey{
			{Field: "owner"}, {Field: "status"}, {Field: "createdAt", Desc: true}}},
		store.Index{Name: "by_email", Keys: []store.IndexKey{{Field: "contact.email"}}, Unique: true},
		store.Index{Name: "by_amount", Keys: []store.IndexKey{{Field: "amount"}}},
	)
	for i := range 200 {
		mustInsert(t, s, "acme", "Lead", store.Doc{
			"id": fmt.Sprintf("l%03d", i), "owner": fmt.Sprintf("u%d", i%5), "status": []string{"new", "won"}[i%2],
			"createdAt": fmt.Sprintf("2026-01-%02dT10:00:00.000Z", i%28+1), "amount": int64(i),
			"contact": map[string]any{"email": fmt.Sprintf("p%d@x.test", i)},
		})
	}
	db, err := s.tenant("acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.writer.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	ownerStatus := store.And{store.Eq("owner", "u1"), store.Eq("status", "new")}
	byCreatedDesc := []store.SortKey{{Field: "createdAt", Desc: true}}
	for _, tc := range []struct {
		name  string
		query store.Query
		index string
	}{
		{"equality on two keys sorted by the third", store.Query{Filter: ownerStatus, Sort: byCreatedDesc, Limit: 50},
			"by_owner_status_created"},
		{"the next page of the same query", store.Query{Filter: ownerStatus, Sort: byCreatedDesc, Limit: 50,
			After: []any{"2026-01-10T10:00:00.000Z", "l100"}}, "by_owner_status_created"},
		{"a range on a single key sorted by it", store.Query{
			Filter: store.Cmp{Field: "amount", Op: store.OpGte, Value: int64(150)},
			Sort:   []store.SortKey{{Field: "amount"}}, Limit: 10}, "by_amount"},
		{"equality on a nested unique field", store.Query{Filter: store.Eq("contact.email", "p7@x.test")}, "by_email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := queryPlan(t, s, "acme", "Lead", tc.query)
			if !strings.Contains(plan, "USING INDEX "+strings.Trim(indexName("Lead", tc.index), `"`)) {
				t.Errorf("plan does not use index %s:\n%s", tc.index, plan)
			}
			if strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("plan sorts in a temporary b-tree:\n%s", plan)
			}
		})
	}
}

func TestFind_planCheckSeesAScan(t *testing.T) {
	// The plan check above must be able to fail: a sort on an unindexed
	// field scans and sorts in a temporary b-tree.
	s := openTest(t)
	mustCollection(t, s, "acme", "c")
	plan := queryPlan(t, s, "acme", "c", store.Query{Filter: store.Eq("owner", "u1"), Sort: []store.SortKey{{Field: "name"}}})
	if strings.Contains(plan, "USING INDEX") || !strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("unexpected plan for an unindexed query:\n%s", plan)
	}
}
