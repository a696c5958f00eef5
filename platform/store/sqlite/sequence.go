package sqlite

import (
	"context"

	"github.com/opencrm/crm/platform/store"
)

// NextSequence increments the tenant's named counter in one upsert
// statement, so concurrent callers always get distinct values.
func (s *Store) NextSequence(ctx context.Context, tenant, name string) (int64, error) {
	if err := store.ValidTenant(tenant); err != nil {
		return 0, err
	}
	if err := store.ValidField(name); err != nil {
		return 0, err
	}
	q, err := s.writer(ctx, tenant)
	if err != nil {
		return 0, err
	}
	var v int64
	err = q.QueryRowContext(ctx, `INSERT INTO _sequences(name,value) VALUES(?,1)
		ON CONFLICT(name) DO UPDATE SET value=value+1 RETURNING value`, name).Scan(&v)
	if err != nil {
		return 0, driverError("next sequence", err)
	}
	return v, nil
}
