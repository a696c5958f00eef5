package mongo

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/opencrm/crm/platform/store"
)

// codeNamespaceExists is the server's answer to creating an existing
// collection.
const codeNamespaceExists = 48

// Codes of an index that repeats another's keys and options under another
// name (MongoDB allows it only when their partial filters differ).
const (
	codeIndexOptionsConflict  = 85
	codeIndexKeySpecsConflict = 86
)

// EnsureCollection creates the collection if it does not exist.
func (s *Store) EnsureCollection(ctx context.Context, tenant, coll string) error {
	db, err := s.database(tenant)
	if err != nil {
		return err
	}
	if err := validCollection(coll); err != nil {
		return err
	}
	ctx, cancel := withoutSession(ctx)
	defer cancel()
	if err := db.CreateCollection(ctx, coll); err != nil {
		var ce mongo.CommandError
		if !(errors.As(err, &ce) && ce.HasErrorCode(codeNamespaceExists)) {
			return mapErr("create collection", err)
		}
	}
	s.remember(tenant, coll)
	return nil
}

// DropCollection removes a collection with its documents and indexes.
func (s *Store) DropCollection(ctx context.Context, tenant, coll string) error {
	db, err := s.database(tenant)
	if err != nil {
		return err
	}
	if err := validCollection(coll); err != nil {
		return err
	}
	ctx, cancel := withoutSession(ctx)
	defer cancel()
	s.forget(tenant, coll)
	if err := db.Collection(coll).Drop(ctx); err != nil {
		return mapErr("drop collection", err)
	}
	s.forget(tenant, coll)
	return nil
}

// Collections lists the tenant's collections in name order, without the
// adapter's own.
func (s *Store) Collections(ctx context.Context, tenant string) ([]string, error) {
	db, err := s.database(tenant)
	if err != nil {
		return nil, err
	}
	lctx, cancel := withoutSession(ctx)
	defer cancel()
	names, err := db.ListCollectionNames(lctx, bson.D{})
	if err != nil {
		return nil, mapErr("list collections", err)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n == sequencesColl || strings.HasPrefix(n, "system.") || store.ValidCollection(n) != nil {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// DropTenant drops the tenant's database.
func (s *Store) DropTenant(ctx context.Context, tenant string) error {
	db, err := s.database(tenant)
	if err != nil {
		return err
	}
	ctx, cancel := withoutSession(ctx)
	defer cancel()
	s.forget(tenant, "")
	if err := db.Drop(ctx); err != nil {
		return mapErr("drop tenant", err)
	}
	s.forget(tenant, "")
	return nil
}

// NextSequence increments the tenant's named counter with an upsert of
// {$inc} in the _sequences collection and returns the new value.
func (s *Store) NextSequence(ctx context.Context, tenant, name string) (int64, error) {
	db, err := s.database(tenant)
	if err != nil {
		return 0, err
	}
	if name == "" || len(name) > 256 {
		return 0, store.ErrInvalidName.WithField("name", "pattern", "a sequence name is 1 to 256 characters")
	}
	c := db.Collection(sequencesColl)
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	update := bson.D{{Key: "$inc", Value: bson.D{{Key: "value", Value: int64(1)}}}}
	for attempt := 0; ; attempt++ {
		raw, err := c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: name}}, update, opts).Raw()
		if err != nil {
			// Two first increments may both try to insert; the loser
			// retries and then finds the counter.
			if mongo.IsDuplicateKeyError(err) && attempt < 3 {
				continue
			}
			return 0, mapErr("next sequence", err)
		}
		v, ok := raw.Lookup("value").AsInt64OK()
		if !ok {
			return 0, errBackend.WithCause(errString("sequence " + name + " holds a non-integer value"))
		}
		return v, nil
	}
}

type errString string

func (e errString) Error() string { return string(e) }

var indexNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// validIndexes checks a wanted index set.
func validIndexes(indexes []store.Index) error {
	names := map[string]bool{}
	for _, ix := range indexes {
		if !indexNameRe.MatchString(ix.Name) || ix.Name == "_id_" {
			return store.ErrInvalidName.WithField(ix.Name, "pattern", "invalid index name")
		}
		if names[ix.Name] {
			return store.ErrInvalidName.WithField(ix.Name, "duplicate", "two indexes have this name")
		}
		names[ix.Name] = true
		if len(ix.Keys) == 0 {
			return store.ErrInvalidQuery.WithField(ix.Name, "required", "an index needs at least one key")
		}
		seen := map[string]bool{}
		for _, k := range ix.Keys {
			if err := store.ValidField(k.Field); err != nil {
				return err
			}
			if seen[k.Field] {
				return store.ErrInvalidQuery.WithField(ix.Name, "duplicate", "a field appears twice in the index")
			}
			seen[k.Field] = true
		}
	}
	return nil
}

// model is the MongoDB index for a port index. A unique index only covers
// documents that have every key (a partial index), so that several may lack
// them; FerretDB has no partial indexes, and its unique indexes already
// ignore documents lacking the field.
func (s *Store) model(ix store.Index) mongo.IndexModel {
	keys := bson.D{}
	exists := bson.D{}
	for _, k := range ix.Keys {
		dir := 1
		if k.Desc {
			dir = -1
		}
		keys = append(keys, bson.E{Key: path(k.Field), Value: dir})
		exists = append(exists, bson.E{Key: path(k.Field), Value: bson.D{{Key: "$exists", Value: true}}})
	}
	opts := options.Index().SetName(ix.Name)
	if ix.Unique {
		opts.SetUnique(true)
		if !s.ferret {
			opts.SetPartialFilterExpression(exists)
		}
	}
	return mongo.IndexModel{Keys: keys, Options: opts}
}

// SyncIndexes makes the collection's secondary indexes exactly indexes.
// Missing ones are built first, then changed ones rebuilt (dropped and
// built again under their name), then unlisted ones dropped. When a build
// fails (a unique index over duplicate values: ErrDuplicate), the indexes
// built by this call are dropped and the changed ones restored.
func (s *Store) SyncIndexes(ctx context.Context, tenant, coll string, indexes []store.Index) error {
	if _, err := s.database(tenant); err != nil {
		return err
	}
	if err := validCollection(coll); err != nil {
		return err
	}
	if err := validIndexes(indexes); err != nil {
		return err
	}
	ctx, cancel := withoutSession(ctx)
	defer cancel()
	c, err := s.collection(ctx, tenant, coll)
	if err != nil {
		return err
	}
	have, err := listIndexes(ctx, c)
	if err != nil {
		return err
	}
	current := map[string]store.Index{}
	for _, ix := range have {
		current[ix.Name] = ix
	}
	var created []string
	var replaced []store.Index
	undo := func() {
		uctx := context.WithoutCancel(ctx)
		for _, name := range created {
			_ = c.Indexes().DropOne(uctx, name)
		}
		for _, old := range replaced {
			_, _ = c.Indexes().CreateOne(uctx, s.model(old))
		}
	}
	build := func(ix store.Index) error {
		if _, err := c.Indexes().CreateOne(ctx, s.model(ix)); err != nil {
			if mongo.IsDuplicateKeyError(err) || s.ferretUniqueViolation(err) {
				return store.DuplicateError(ix.Keys[0].Field, err)
			}
			var ce mongo.CommandError
			if errors.As(err, &ce) && (ce.HasErrorCode(codeIndexOptionsConflict) || ce.HasErrorCode(codeIndexKeySpecsConflict)) {
				return store.ErrInvalidQuery.WithField(ix.Name, "conflict",
					"another index has the same keys and options").WithCause(err)
			}
			return mapErr("create index", err)
		}
		created = append(created, ix.Name)
		return nil
	}
	for _, ix := range indexes {
		if _, ok := current[ix.Name]; ok {
			continue
		}
		if err := build(ix); err != nil {
			undo()
			return err
		}
	}
	for _, ix := range indexes {
		old, ok := current[ix.Name]
		if !ok || sameIndex(old, ix) {
			continue
		}
		if err := c.Indexes().DropOne(ctx, ix.Name); err != nil {
			undo()
			return mapErr("drop index", err)
		}
		replaced = append(replaced, old)
		if err := build(ix); err != nil {
			undo()
			return err
		}
	}
	wanted := map[string]bool{}
	for _, ix := range indexes {
		wanted[ix.Name] = true
	}
	for _, ix := range have {
		if !wanted[ix.Name] {
			if err := c.Indexes().DropOne(ctx, ix.Name); err != nil {
				return mapErr("drop index", err)
			}
		}
	}
	return nil
}

func sameIndex(a, b store.Index) bool {
	return a.Unique == b.Unique && slices.Equal(a.Keys, b.Keys)
}

// Indexes lists the collection's secondary indexes in name order.
func (s *Store) Indexes(ctx context.Context, tenant, coll string) ([]store.Index, error) {
	ctx, cancel := withoutSession(ctx)
	defer cancel()
	c, err := s.collection(ctx, tenant, coll)
	if err != nil {
		return nil, err
	}
	return listIndexes(ctx, c)
}

// listIndexes reads the secondary indexes of c as port indexes.
func listIndexes(ctx context.Context, c *mongo.Collection) ([]store.Index, error) {
	cur, err := c.Indexes().List(ctx)
	if err != nil {
		return nil, mapErr("list indexes", err)
	}
	defer cur.Close(ctx)
	var out []store.Index
	for cur.Next(ctx) {
		name, _ := cur.Current.Lookup("name").StringValueOK()
		if name == "_id_" {
			continue
		}
		ix := store.Index{Name: name}
		ix.Unique, _ = cur.Current.Lookup("unique").BooleanOK()
		keys, _ := cur.Current.Lookup("key").DocumentOK()
		elems, _ := keys.Elements()
		for _, e := range elems {
			dir, _ := e.Value().AsFloat64OK()
			ix.Keys = append(ix.Keys, store.IndexKey{Field: fieldOf(e.Key()), Desc: dir < 0})
		}
		out = append(out, ix)
	}
	if err := cur.Err(); err != nil {
		return nil, mapErr("list indexes", err)
	}
	slices.SortFunc(out, func(a, b store.Index) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
