package mongo

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// errBackend is the domain error for a driver failure the caller cannot act
// on; the driver's text stays in the cause, for the log.
var errBackend = errs.New(errs.Internal, "store.backend", "the store failed")

// mapErr translates a driver error at the boundary: domain errors pass
// through, a network failure, timeout or unreachable server is
// ErrUnavailable, a cancelled context stays itself, anything else is an
// internal error. The driver's message is only ever the cause.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errs.As(err) != nil {
		return err
	}
	cause := fmt.Errorf("mongo: %s: %w", op, err)
	switch {
	case errors.Is(err, context.Canceled):
		return cause
	case mongo.IsNetworkError(err), mongo.IsTimeout(err),
		errors.Is(err, mongo.ErrClientDisconnected), isSelectionError(err):
		return store.ErrUnavailable.WithCause(cause)
	}
	return errBackend.WithCause(cause)
}

func isSelectionError(err error) bool {
	var se topology.ServerSelectionError
	return errors.As(err, &se)
}

// dupIndexRe finds the index name in MongoDB's duplicate key message
// ("... index: by_email dup key: ...").
var dupIndexRe = regexp.MustCompile(`index: (\S+) dup key`)

// duplicate turns a duplicate key error into store.DuplicateError naming the
// field: from the server's keyPattern, else from the index named in the
// message, else (FerretDB names neither) by asking which unique key of doc
// another document holds.
func (s *Store) duplicate(ctx context.Context, c *mongo.Collection, doc bson.D, insert bool, err error) error {
	if f := keyPatternField(err); f != "" {
		return store.DuplicateError(f, err)
	}
	lctx, cancel := withoutSession(ctx)
	defer cancel()
	idx, lerr := listIndexes(lctx, c)
	if m := dupIndexRe.FindStringSubmatch(err.Error()); m != nil && lerr == nil {
		if m[1] == "_id_" {
			return store.DuplicateError("id", err)
		}
		for _, ix := range idx {
			if ix.Name == m[1] && len(ix.Keys) > 0 {
				return store.DuplicateError(ix.Keys[0].Field, err)
			}
		}
	}
	if doc != nil {
		id := lookupD(doc, "_id")
		if insert {
			// An Update keeps its own id, so only an Insert can clash on it.
			if n, cerr := c.CountDocuments(lctx, bson.D{{Key: "_id", Value: id}}); cerr == nil && n > 0 {
				return store.DuplicateError("id", err)
			}
		}
		for _, ix := range idx {
			if !ix.Unique {
				continue
			}
			q := bson.D{{Key: "_id", Value: bson.D{{Key: "$ne", Value: id}}}}
			for _, k := range ix.Keys {
				q = append(q, bson.E{Key: path(k.Field), Value: valueAt(doc, path(k.Field))})
			}
			if n, cerr := c.CountDocuments(lctx, q); cerr == nil && n > 0 {
				return store.DuplicateError(ix.Keys[0].Field, err)
			}
		}
	}
	return store.ErrDuplicate.WithCause(err)
}

// keyPatternField reads the first field of the keyPattern MongoDB (4.2+)
// attaches to a duplicate key error.
func keyPatternField(err error) string {
	var raws []bson.Raw
	var we mongo.WriteException
	if errors.As(err, &we) {
		for _, e := range we.WriteErrors {
			raws = append(raws, e.Details, e.Raw)
		}
	}
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		raws = append(raws, ce.Raw)
	}
	for _, r := range raws {
		if len(r) == 0 {
			continue
		}
		kp, ok := r.Lookup("keyPattern").DocumentOK()
		if !ok {
			continue
		}
		elems, eerr := kp.Elements()
		if eerr != nil || len(elems) == 0 {
			continue
		}
		return fieldOf(elems[0].Key())
	}
	return ""
}

// lookupD returns the value at the top-level key of a bson.D.
func lookupD(d bson.D, key string) any {
	for _, e := range d {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

// valueAt returns the value at a stored dotted path of an encoded document.
func valueAt(d bson.D, p string) any {
	var cur any = d
	for _, part := range strings.Split(p, ".") {
		doc, ok := cur.(bson.D)
		if !ok {
			return nil
		}
		cur = lookupD(doc, part)
	}
	return cur
}
