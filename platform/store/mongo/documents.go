package mongo

import (
	"context"
	"errors"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/opencrm/crm/platform/store"
)

// maxUpdateAttempts bounds the read-then-compare-and-set loop of an Update
// without an expected version under contention.
const maxUpdateAttempts = 32

// Insert stores a new document with version 1.
func (s *Store) Insert(ctx context.Context, tenant, coll string, doc store.Doc) (store.Doc, error) {
	c, err := s.collection(ctx, tenant, coll)
	if err != nil {
		return nil, err
	}
	enc, out, err := encodeDoc(doc, 1)
	if err != nil {
		return nil, err
	}
	if _, err := c.InsertOne(ctx, enc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return nil, s.duplicate(ctx, c, enc, true, err)
		}
		return nil, mapErr("insert", err)
	}
	return out, nil
}

// Get returns one document, projected to fields when fields is not empty.
func (s *Store) Get(ctx context.Context, tenant, coll, id string, fields []string) (store.Doc, error) {
	c, err := s.collection(ctx, tenant, coll)
	if err != nil {
		return nil, err
	}
	proj, err := projection(fields)
	if err != nil {
		return nil, err
	}
	opts := options.FindOne()
	if proj != nil {
		opts.SetProjection(proj)
	}
	raw, err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, opts).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, mapErr("get", err)
	}
	d, err := decodeDoc(raw)
	if err != nil {
		return nil, mapErr("get", err)
	}
	return d, nil
}

// Update replaces the whole document. With expectVersion it is one
// replaceOne filtered on _id and version (a compare-and-set); without, the
// current version is read and the same compare-and-set retried until it
// wins, so the version always grows by exactly one.
func (s *Store) Update(ctx context.Context, tenant, coll string, doc store.Doc, expectVersion int64) (store.Doc, error) {
	c, err := s.collection(ctx, tenant, coll)
	if err != nil {
		return nil, err
	}
	if _, _, err := encodeDoc(doc, 1); err != nil {
		return nil, err
	}
	id := doc["id"].(string)
	for attempt := 0; attempt < maxUpdateAttempts; attempt++ {
		version := expectVersion
		var current any = version
		if version == 0 {
			raw, err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
				options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Raw()
			if errors.Is(err, mongo.ErrNoDocuments) {
				return nil, store.ErrNotFound
			}
			if err != nil {
				return nil, mapErr("update", err)
			}
			// A document written by another tool may lack a version:
			// it is then version 0, matched as null.
			current = nil
			if v, ok := raw.Lookup("version").AsInt64OK(); ok {
				version, current = v, v
			}
		}
		enc, out, err := encodeDoc(doc, version+1)
		if err != nil {
			return nil, err
		}
		filter := bson.D{{Key: "_id", Value: id}, {Key: "version", Value: current}}
		res, err := c.ReplaceOne(ctx, filter, enc)
		if err != nil {
			if mongo.IsDuplicateKeyError(err) || s.ferretUniqueViolation(err) {
				return nil, s.duplicate(ctx, c, enc, false, err)
			}
			return nil, mapErr("update", err)
		}
		if res.MatchedCount == 1 {
			return out, nil
		}
		if expectVersion != 0 {
			return nil, s.missingOrStale(ctx, c, id)
		}
	}
	return nil, store.ErrVersionConflict
}

// missingOrStale tells why a compare-and-set matched nothing.
func (s *Store) missingOrStale(ctx context.Context, c *mongo.Collection, id string) error {
	n, err := c.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return mapErr("version check", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return store.ErrVersionConflict
}

// Delete removes one document, checking its version when expectVersion is
// not 0.
func (s *Store) Delete(ctx context.Context, tenant, coll, id string, expectVersion int64) error {
	c, err := s.collection(ctx, tenant, coll)
	if err != nil {
		return err
	}
	filter := bson.D{{Key: "_id", Value: id}}
	if expectVersion != 0 {
		filter = append(filter, bson.E{Key: "version", Value: expectVersion})
	}
	res, err := c.DeleteOne(ctx, filter)
	if err != nil {
		return mapErr("delete", err)
	}
	if res.DeletedCount == 1 {
		return nil
	}
	if expectVersion == 0 {
		return store.ErrNotFound
	}
	return s.missingOrStale(ctx, c, id)
}

// filtered resolves a collection and compiles a filter for it: the first
// step of every call that acts on the documents a filter selects.
func (s *Store) filtered(ctx context.Context, tenant, coll string, filter store.Filter) (*mongo.Collection, bson.D, error) {
	c, err := s.collection(ctx, tenant, coll)
	if err != nil {
		return nil, nil, err
	}
	q, err := compileFilter(filter)
	if err != nil {
		return nil, nil, err
	}
	return c, q, nil
}

// DeleteMany removes every matching document.
func (s *Store) DeleteMany(ctx context.Context, tenant, coll string, filter store.Filter) (int64, error) {
	c, q, err := s.filtered(ctx, tenant, coll, filter)
	if err != nil {
		return 0, err
	}
	res, err := c.DeleteMany(ctx, q)
	if err != nil {
		return 0, mapErr("delete many", err)
	}
	return res.DeletedCount, nil
}

// Count returns how many documents match.
func (s *Store) Count(ctx context.Context, tenant, coll string, filter store.Filter) (int64, error) {
	c, q, err := s.filtered(ctx, tenant, coll, filter)
	if err != nil {
		return 0, err
	}
	n, err := c.CountDocuments(ctx, q)
	if err != nil {
		return 0, mapErr("count", err)
	}
	return n, nil
}

// Find returns one page: the filter And the keyset position, sorted by the
// full sort order, limit+1 documents fetched to know whether a next page
// exists.
func (s *Store) Find(ctx context.Context, tenant, coll string, q store.Query) (store.Page, error) {
	c, err := s.collection(ctx, tenant, coll)
	if err != nil {
		return store.Page{}, err
	}
	full := store.FullSort(q.Sort)
	sortD, err := sortDoc(full)
	if err != nil {
		return store.Page{}, err
	}
	if q.Limit < 0 {
		return store.Page{}, store.ErrInvalidQuery.WithField("limit", "minimum", "limit must not be negative")
	}
	limit := q.Limit
	if limit == 0 {
		limit = store.DefaultLimit
	}
	f := q.Filter
	if q.After != nil {
		after, err := store.AfterFilter(full, q.After)
		if err != nil {
			return store.Page{}, err
		}
		if f == nil {
			f = after
		} else {
			f = store.And{f, after}
		}
	}
	filter, err := compileFilter(f)
	if err != nil {
		return store.Page{}, err
	}
	// The projection also keeps the sort keys, so that Next can be taken
	// from the last document; extra keys are removed afterwards.
	fields := q.Fields
	var extra bool
	if len(fields) > 0 {
		for _, k := range full {
			if !covered(k.Field, q.Fields) {
				fields = append(fields[:len(fields):len(fields)], k.Field)
				extra = true
			}
		}
	}
	proj, err := projection(fields)
	if err != nil {
		return store.Page{}, err
	}
	opts := options.Find().SetSort(sortD).SetLimit(int64(limit) + 1)
	if proj != nil {
		opts.SetProjection(proj)
	}
	cur, err := c.Find(ctx, filter, opts)
	if err != nil {
		return store.Page{}, mapErr("find", err)
	}
	defer cur.Close(ctx)
	var page store.Page
	for cur.Next(ctx) {
		d, err := decodeDoc(cur.Current)
		if err != nil {
			return store.Page{}, mapErr("find", err)
		}
		if len(page.Items) == limit {
			last := page.Items[limit-1]
			page.Next = store.KeysetOf(full, last)
			break
		}
		page.Items = append(page.Items, d)
	}
	if err := cur.Err(); err != nil {
		return store.Page{}, mapErr("find", err)
	}
	if extra {
		for i, d := range page.Items {
			page.Items[i] = reproject(d, q.Fields)
		}
	}
	return page, nil
}

// covered reports whether field's value is part of the projection fields.
func covered(field string, fields []string) bool {
	first, _, _ := strings.Cut(field, ".")
	if first == "id" || first == "version" {
		return true
	}
	for _, f := range fields {
		if f == field || strings.HasPrefix(field, f+".") {
			return true
		}
	}
	return false
}

// reproject keeps id, version and the values at fields of d.
func reproject(d store.Doc, fields []string) store.Doc {
	out := store.Doc{"id": d["id"], "version": d["version"]}
	for _, f := range fields {
		v := store.Lookup(d, f)
		if v == nil {
			continue
		}
		parts := strings.Split(f, ".")
		m := out
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = v
	}
	return out
}

// ferretUniqueViolation recognises FerretDB v1's answer to an update that
// breaks a unique index: an InternalError carrying SQLite's constraint
// message instead of the duplicate key error 11000.
func (s *Store) ferretUniqueViolation(err error) bool {
	var ce mongo.CommandError
	var we mongo.WriteException
	msg := ""
	switch {
	case errors.As(err, &ce):
		msg = ce.Message
	case errors.As(err, &we):
		for _, e := range we.WriteErrors {
			msg += e.Message
		}
	}
	return s.ferret && strings.Contains(msg, "UNIQUE constraint failed")
}
