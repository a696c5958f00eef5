// Package mongo is the production adapter of the store port
// (platform/store) on MongoDB, through go.mongodb.org/mongo-driver/v2.
//
// A tenant is a database (Config.DatabasePrefix + tenant), a collection is a
// collection and the port's "id" is the document's _id. Filters are compiled
// from the port's AST to BSON here, with every name validated, so no
// client-supplied operator ever reaches the server. The adapter works on a
// standalone server, a replica set or a sharded cluster; transactions are
// offered on the last two. It also speaks to FerretDB v1 (used by the tests),
// whose limits it detects at Open and reports through Capabilities.
//
// This is the only package that imports the MongoDB driver. It imports
// platform/store and platform/errs, nothing else of the project.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// DefaultDatabasePrefix is the prefix of tenant databases when
// Config.DatabasePrefix is empty.
const DefaultDatabasePrefix = "crm_"

// sequencesColl holds the tenant's counters (NextSequence). It is hidden
// from Collections and refused as a collection name.
const sequencesColl = "_sequences"

// codeCommandNotFound is the server's answer to an unknown command.
const codeCommandNotFound = 59

// maxDatabaseName is MongoDB's limit on database names (bytes).
const maxDatabaseName = 63

// Config configures the adapter.
type Config struct {
	// URI is the MongoDB connection string (required). Every connection
	// setting (hosts, replica set, TLS, credentials, pool size, timeouts,
	// read and write concerns) comes from it.
	URI string
	// DatabasePrefix is put before a tenant id to name its database;
	// "" means DefaultDatabasePrefix.
	DatabasePrefix string
}

var prefixRe = regexp.MustCompile(`^[A-Za-z0-9_-]{0,32}$`)

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.URI == "" {
		return errs.New(errs.Invalid, "config.invalid", "mongo: URI is required")
	}
	if !strings.HasPrefix(c.URI, "mongodb://") && !strings.HasPrefix(c.URI, "mongodb+srv://") {
		return errs.New(errs.Invalid, "config.invalid", "mongo: URI must start with mongodb:// or mongodb+srv://")
	}
	if !prefixRe.MatchString(c.DatabasePrefix) {
		return errs.New(errs.Invalid, "config.invalid", "mongo: DatabasePrefix must match %s", prefixRe)
	}
	return nil
}

// Store is the MongoDB adapter. It is safe for concurrent use.
type Store struct {
	client *mongo.Client
	prefix string
	caps   store.Capabilities
	// ferret is true on FerretDB: no partial indexes, no expressions in
	// $group, duplicate key errors that do not name the index.
	ferret bool
	dbOpts *options.DatabaseOptionsBuilder
	txOpts *options.TransactionOptionsBuilder

	mu    sync.RWMutex
	known map[string]map[string]bool // tenant -> collections seen to exist
}

var _ store.Store = (*Store)(nil)

// Open connects to the deployment named by cfg.URI, checks that it answers
// and detects what it can do (replica set or sharded cluster: transactions;
// FerretDB: the reduced capabilities). On a replica set or sharded cluster,
// writes use majority write concern and reads majority read concern unless
// the URI sets them.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	prefix := cfg.DatabasePrefix
	if prefix == "" {
		prefix = DefaultDatabasePrefix
	}
	copts := options.Client().ApplyURI(cfg.URI)
	if err := copts.Validate(); err != nil {
		return nil, errs.Wrap(err, errs.Invalid, "config.invalid", "mongo: invalid URI")
	}
	client, err := mongo.Connect(copts)
	if err != nil {
		return nil, errs.Wrap(err, errs.Invalid, "config.invalid", "mongo: cannot use the URI")
	}
	s := &Store{client: client, prefix: prefix, known: map[string]map[string]bool{}}
	if err := s.detect(ctx, copts); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	return s, nil
}

// detect asks the server what it is and sets capabilities and concerns.
func (s *Store) detect(ctx context.Context, copts *options.ClientOptions) error {
	admin := s.client.Database("admin")
	var hello struct {
		SetName string `bson:"setName"`
		Msg     string `bson:"msg"`
	}
	if err := admin.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		// Servers before 4.4.2 only know the legacy name.
		var ce mongo.CommandError
		if !errors.As(err, &ce) || !ce.HasErrorCode(codeCommandNotFound) {
			return mapErr("open", err)
		}
		if err := admin.RunCommand(ctx, bson.D{{Key: "isMaster", Value: 1}}).Decode(&hello); err != nil {
			return mapErr("open", err)
		}
	}
	var build bson.M
	if err := admin.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&build); err != nil {
		return mapErr("open", err)
	}
	_, s.ferret = build["ferretdbVersion"]
	replicated := hello.SetName != "" || hello.Msg == "isdbgrid"

	if s.ferret {
		// Measured on FerretDB v1.24 (see the package tests): no
		// transactions; concurrent updates are not atomic; $group computes
		// $sum only, and only one accumulator per stage correctly; a unique
		// index accepts several documents lacking the field.
		s.caps = store.Capabilities{
			Name:              "ferretdb",
			AggregateMeasures: []store.Op{store.OpCount, store.OpSum},
			UniqueMissing:     true,
		}
	} else {
		s.caps = store.Capabilities{
			Name:              "mongodb",
			Transactions:      replicated,
			AtomicUpdate:      true,
			AggregateMeasures: []store.Op{store.OpCount, store.OpSum, store.OpAvg, store.OpMin, store.OpMax},
			MultiMeasure:      true,
			UniqueMissing:     true, // partial unique indexes
		}
	}

	s.dbOpts = options.Database()
	if replicated && !s.ferret {
		if copts.WriteConcern == nil {
			s.dbOpts.SetWriteConcern(writeconcern.Majority())
		}
		if copts.ReadConcern == nil {
			s.dbOpts.SetReadConcern(readconcern.Majority())
		}
	}
	s.txOpts = options.Transaction().SetReadConcern(readconcern.Snapshot())
	if copts.WriteConcern == nil {
		s.txOpts.SetWriteConcern(writeconcern.Majority())
	}
	return nil
}

// Capabilities tells what the connected deployment can promise.
func (s *Store) Capabilities() store.Capabilities {
	c := s.caps
	c.AggregateMeasures = append([]store.Op(nil), c.AggregateMeasures...)
	return c
}

// Ping checks that the primary answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return mapErr("ping", err)
	}
	return nil
}

// Close disconnects from the deployment.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.client.Disconnect(ctx); err != nil {
		return mapErr("close", err)
	}
	return nil
}

// database returns the tenant's database after checking the tenant id.
func (s *Store) database(tenant string) (*mongo.Database, error) {
	if err := store.ValidTenant(tenant); err != nil {
		return nil, err
	}
	name := s.prefix + tenant
	if len(name) > maxDatabaseName {
		return nil, store.ErrInvalidName.WithField("tenant", "too_long",
			fmt.Sprintf("tenant id too long for a database name (max %d with the prefix)", maxDatabaseName))
	}
	return s.client.Database(name, s.dbOpts), nil
}

// validCollection checks a collection name, refusing the adapter's own.
func validCollection(coll string) error {
	if err := store.ValidCollection(coll); err != nil {
		return err
	}
	if coll == sequencesColl {
		return store.ErrInvalidName.WithField("collection", "reserved", "reserved collection name")
	}
	return nil
}

// collection returns a collection the tenant has ensured, or
// ErrUnknownCollection.
func (s *Store) collection(ctx context.Context, tenant, coll string) (*mongo.Collection, error) {
	db, err := s.database(tenant)
	if err != nil {
		return nil, err
	}
	if err := validCollection(coll); err != nil {
		return nil, err
	}
	if s.isKnown(tenant, coll) {
		return db.Collection(coll), nil
	}
	// Another node may have created it: ask the server. listCollections
	// cannot run inside a transaction, so it runs outside the session.
	lctx, cancel := withoutSession(ctx)
	defer cancel()
	names, err := db.ListCollectionNames(lctx, bson.D{{Key: "name", Value: coll}})
	if err != nil {
		return nil, mapErr("list collections", err)
	}
	if len(names) == 0 {
		return nil, store.ErrUnknownCollection.WithField("collection", "unknown", "unknown collection "+coll)
	}
	s.remember(tenant, coll)
	return db.Collection(coll), nil
}

func (s *Store) isKnown(tenant, coll string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.known[tenant][coll]
}

func (s *Store) remember(tenant, coll string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.known[tenant]
	if m == nil {
		m = map[string]bool{}
		s.known[tenant] = m
	}
	m[coll] = true
}

func (s *Store) forget(tenant, coll string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if coll == "" {
		delete(s.known, tenant)
		return
	}
	delete(s.known[tenant], coll)
}

// withoutSession returns a context that has ctx's deadline and cancellation
// but not its values, so that a command runs outside ctx's transaction.
func withoutSession(ctx context.Context) (context.Context, context.CancelFunc) {
	if mongo.SessionFromContext(ctx) == nil {
		return ctx, func() {}
	}
	var c context.Context
	var cancel context.CancelFunc
	if dl, ok := ctx.Deadline(); ok {
		c, cancel = context.WithDeadline(context.Background(), dl)
	} else {
		c, cancel = context.WithCancel(context.Background())
	}
	stop := context.AfterFunc(ctx, cancel)
	return c, func() { stop(); cancel() }
}
