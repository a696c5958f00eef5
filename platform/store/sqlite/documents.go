package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/opencrm/crm/platform/store"
)

// docIn is the SQL expression that stores a bound JSON text parameter.
func (s *Store) docIn() string {
	if s.text {
		return "json(?)"
	}
	return "jsonb(?)"
}

// decode turns a stored doc column into a document with id and version.
func (s *Store) decode(id string, version int64, data []byte) (store.Doc, error) {
	if s.text {
		return decodeDoc(id, version, data)
	}
	doc, err := decodeJSONB(data)
	if err != nil {
		return nil, internal("decode document", err)
	}
	doc["id"] = id
	doc["version"] = version
	return doc, nil
}

// Insert stores a new document with version 1.
func (s *Store) Insert(ctx context.Context, tenant, coll string, doc store.Doc) (store.Doc, error) {
	if err := checkNames(tenant, coll); err != nil {
		return nil, err
	}
	id, data, norm, err := encodeDoc(doc)
	if err != nil {
		return nil, err
	}
	q, err := s.writer(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO `+tableName(coll)+`(id,version,doc) VALUES(?,1,`+s.docIn()+`)`, id, data); err != nil {
		if isUnique(err) {
			return nil, duplicateFromError(ctx, q, coll, err)
		}
		return nil, driverError("insert", err)
	}
	norm["version"] = int64(1)
	return norm, nil
}

// Get returns one document, projected to fields when given.
func (s *Store) Get(ctx context.Context, tenant, coll, id string, fields []string) (store.Doc, error) {
	if err := checkNames(tenant, coll); err != nil {
		return nil, err
	}
	for _, f := range fields {
		if err := store.ValidField(f); err != nil {
			return nil, err
		}
	}
	q, err := s.reader(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var version int64
	var data []byte
	err = q.QueryRowContext(ctx, `SELECT version,doc FROM `+tableName(coll)+` WHERE id=?`, id).Scan(&version, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, driverError("get", err)
	}
	doc, err := s.decode(id, version, data)
	if err != nil {
		return nil, err
	}
	return project(doc, fields), nil
}

// Update replaces a whole document; with expectVersion it is a
// compare-and-set in one statement.
func (s *Store) Update(ctx context.Context, tenant, coll string, doc store.Doc, expectVersion int64) (store.Doc, error) {
	if err := checkNames(tenant, coll); err != nil {
		return nil, err
	}
	id, data, norm, err := encodeDoc(doc)
	if err != nil {
		return nil, err
	}
	q, err := s.writer(ctx, tenant)
	if err != nil {
		return nil, err
	}
	query := `UPDATE ` + tableName(coll) + ` SET doc=` + s.docIn() + `, version=version+1 WHERE id=?`
	args := []any{data, id}
	if expectVersion != 0 {
		query += ` AND version=?`
		args = append(args, expectVersion)
	}
	var version int64
	err = q.QueryRowContext(ctx, query+` RETURNING version`, args...).Scan(&version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, s.missOrConflict(ctx, q, coll, id)
	case err != nil && isUnique(err):
		return nil, duplicateFromError(ctx, q, coll, err)
	case err != nil:
		return nil, driverError("update", err)
	}
	norm["version"] = version
	return norm, nil
}

// missOrConflict explains why a guarded write touched no row.
func (s *Store) missOrConflict(ctx context.Context, q querier, coll, id string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM `+tableName(coll)+` WHERE id=?`, id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return driverError("check version", err)
	}
	return store.ErrVersionConflict
}

// Delete removes one document, checking its version when expectVersion is
// not 0.
func (s *Store) Delete(ctx context.Context, tenant, coll, id string, expectVersion int64) error {
	if err := checkNames(tenant, coll); err != nil {
		return err
	}
	q, err := s.writer(ctx, tenant)
	if err != nil {
		return err
	}
	query := `DELETE FROM ` + tableName(coll) + ` WHERE id=?`
	args := []any{id}
	if expectVersion != 0 {
		query += ` AND version=?`
		args = append(args, expectVersion)
	}
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return driverError("delete", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return driverError("delete", err)
	} else if n == 0 {
		return s.missOrConflict(ctx, q, coll, id)
	}
	return nil
}

// DeleteMany removes every document the filter matches.
func (s *Store) DeleteMany(ctx context.Context, tenant, coll string, filter store.Filter) (int64, error) {
	if err := checkNames(tenant, coll); err != nil {
		return 0, err
	}
	where, args, err := compileWhere(filter)
	if err != nil {
		return 0, err
	}
	q, err := s.writer(ctx, tenant)
	if err != nil {
		return 0, err
	}
	res, err := q.ExecContext(ctx, `DELETE FROM `+tableName(coll)+where, args...)
	if err != nil {
		return 0, driverError("delete many", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, driverError("delete many", err)
	}
	return n, nil
}
