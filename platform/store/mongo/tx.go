package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/opencrm/crm/platform/store"
)

// Tx runs fn in a multi-document transaction (a session's WithTransaction,
// snapshot read concern, majority write concern unless the URI sets one).
// The driver retries fn on a transient transaction error (a write
// conflict), so fn must be safe to run again. A Tx inside a Tx joins the
// outer transaction. Collection and index management (EnsureCollection,
// SyncIndexes, DropCollection, DropTenant, Collections, Indexes) runs
// outside the transaction even with fn's context: MongoDB restricts DDL and
// listing commands inside transactions. Without transactions (a standalone server, FerretDB)
// it is ErrNoTransactions and runs nothing.
func (s *Store) Tx(ctx context.Context, tenant string, fn func(ctx context.Context) error) error {
	if _, err := s.database(tenant); err != nil {
		return err
	}
	if !s.caps.Transactions {
		return store.ErrNoTransactions
	}
	if sess := mongo.SessionFromContext(ctx); sess != nil && sess.TransactionRunning() {
		return fn(ctx)
	}
	sess, err := s.client.StartSession()
	if err != nil {
		return mapErr("start session", err)
	}
	defer sess.EndSession(context.WithoutCancel(ctx))

	var panicked any
	var fnErr error
	_, err = sess.WithTransaction(ctx, func(tctx context.Context) (res any, err error) {
		defer func() {
			if p := recover(); p != nil {
				panicked = p
				err = errPanic
			}
		}()
		fnErr = fn(tctx)
		return nil, fnErr
	}, s.txOpts)
	if panicked != nil {
		panic(panicked)
	}
	if err != nil {
		if fnErr != nil && errors.Is(err, fnErr) {
			return fnErr
		}
		return mapErr("transaction", err)
	}
	return nil
}

var errPanic = errors.New("mongo: transaction function panicked")
