package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"

	driver "modernc.org/sqlite"
)

// encodeName maps a validated name ([A-Za-z0-9_]) to a lower-case SQL
// identifier part, injectively: "_" becomes "__" and an upper-case letter X
// becomes "_x". SQLite compares identifiers case-insensitively, so "Lead"
// and "lead" must not be the same table.
func encodeName(name string) string {
	var b strings.Builder
	b.Grow(len(name) + 4)
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '_':
			b.WriteString("__")
		case c >= 'A' && c <= 'Z':
			b.WriteByte('_')
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// tableName is the quoted table of a validated collection name.
func tableName(coll string) string { return `"c_` + encodeName(coll) + `"` }

// indexPrefix starts the SQL name of every index of a collection.
func indexPrefix(coll string) string { return "x_" + encodeName(coll) + "$" }

// indexName is the quoted SQL name of a collection's index.
func indexName(coll, index string) string { return `"` + indexPrefix(coll) + encodeName(index) + `"` }

// fieldExpr is the SQL expression of a validated field name or dotted path.
// Index definitions and queries use this one function, so the planner sees
// the same expression in both.
func fieldExpr(field string) string {
	switch field {
	case "id":
		return "id"
	case "version":
		return "version"
	}
	return "json_extract(doc,'$." + field + "')"
}

// typeExpr is the SQL expression of the JSON type of a field ("text",
// "integer", "real", "true", "false", "array", "object", or NULL when
// absent).
func typeExpr(field string) string {
	switch field {
	case "id":
		return "'text'"
	case "version":
		return "'integer'"
	}
	return "json_type(doc,'$." + field + "')"
}

// checkNames validates a tenant and a collection name.
func checkNames(tenant, coll string) error {
	if err := store.ValidTenant(tenant); err != nil {
		return err
	}
	return store.ValidCollection(coll)
}

// SQLite result codes used to classify driver errors.
const (
	codeBusy       = 5
	codeLocked     = 6
	codeConstraint = 19
	codeUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
	codePrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
)

func sqliteCode(err error) int {
	var e *driver.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isUnique reports whether err is a unique or primary-key violation.
func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == codeUnique || c == codePrimaryKey
}

// violatedIndex returns the SQL name of the unique index a violation names,
// or "" for the primary key. SQLite reports an expression index as
// "UNIQUE constraint failed: index 'name'".
func violatedIndex(err error) string {
	msg := err.Error()
	const marker = "index '"
	i := strings.Index(msg, marker)
	if i < 0 {
		return ""
	}
	rest := msg[i+len(marker):]
	j := strings.IndexByte(rest, '\'')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// isNoTable reports whether err says a table does not exist.
func isNoTable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such table")
}

// driverError translates an error of the driver: a missing table is an
// unknown collection, a lock held too long is unavailability, a cancelled
// context keeps its error in the chain; anything else is internal. The
// driver's text stays in the cause, never in the message.
func driverError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errs.As(err) != nil {
		return err
	}
	wrapped := fmt.Errorf("sqlite: %s: %w", op, err)
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return store.ErrUnavailable.WithCause(wrapped)
	case isNoTable(err):
		return store.ErrUnknownCollection.WithCause(wrapped)
	}
	switch sqliteCode(err) & 0xff {
	case codeBusy, codeLocked:
		return store.ErrUnavailable.WithCause(wrapped)
	}
	return errs.Wrap(wrapped, errs.Internal, "store.internal", "storage failure")
}
