// Package query owns the integrators' query language of the REST API: the
// filter expression of `filter=`, the sort list of `sort=`, the projection of
// `fields=`, the opaque keyset cursors of `cursor=`, and the index advisor
// that tells whether a filter and sort are served by one of an object's
// indexes.
//
// It turns client text into the store port's AST (store.Filter,
// []store.SortKey) and never into backend syntax. It knows nothing of object
// metadata: the caller describes the fields through a Resolver. Every error a
// client can cause is an *errs.Error of kind Malformed (HTTP 400) with a
// stable "query.*" code and, for expressions, the 1-based position of the
// problem.
//
// This package may import platform/errs and platform/store only.
//
// # Filter language
//
//	status = 'new' AND (score >= 50 OR source IN ('web','seo'))
//	  AND email LIKE '%@acme.com' AND closedAt IS NULL AND NOT converted = true
//
// Keywords (AND OR NOT IN LIKE IS NULL TRUE FALSE) are case-insensitive; field
// names are not, and a field cannot be named like a keyword. Precedence is
// NOT > AND > OR; parentheses group. Comparisons are `= != <> < <= > >=`
// (`<>` is `!=`), `[NOT] IN (v, ...)`, `[NOT] LIKE 'pattern'`, `IS [NOT]
// NULL`. The field is always on the left, a literal on the right. `NOT p` is
// returned as a store.Not node: pushing negations down is store.Normalize's
// job.
//
// Literals:
//   - strings in single quotes; a backslash escapes \\ \' \" \n \r \t, and in
//     LIKE patterns also \% and \_ (a literal % or _). Any other escape is an
//     error.
//   - numbers: 42 and -7 are int64; 19.99, 1e3 and -0.5 are decimals
//     (float64, or exact minor units for a currency field).
//   - true and false.
//   - dates 2026-01-31 and datetimes 2026-01-31T10:00:00Z,
//     2026-01-31T10:00:00.250+02:00 (unquoted; a datetime needs seconds and a
//     zone; digits below the millisecond are dropped).
//   - null only after IS.
//
// A literal must fit the field's Kind: a string field takes strings, a number
// field numbers, a boolean field booleans, a date field dates, a datetime field
// datetimes or dates. LIKE needs a string field. Anything else is
// query.type_mismatch at the literal's position. A multi-value field (a
// multi-picklist) takes IS NULL and IS NOT NULL only (the store compares
// single values); another operator on it is query.not_filterable at the
// field's position, and sorting by it query.not_sortable.
//
// # A date compared with a datetime field
//
// A date names a whole UTC day [D 00:00:00.000Z, D+1 00:00:00.000Z):
//
//	createdAt =  2026-01-31   within that day
//	createdAt != 2026-01-31   outside that day, or null
//	createdAt <  2026-01-31   before the day starts
//	createdAt <= 2026-01-31   before the next day starts
//	createdAt >  2026-01-31   from the next day on
//	createdAt >= 2026-01-31   from the day's midnight on
//	createdAt IN (d1, d2)     within any of the days (NOT IN: none of them)
//
// = and IN become And/Or of ranges; != and NOT IN become a Not of them, so
// that, like every !=, they also match null.
//
// # Limits
//
// A filter is at most MaxFilterLength bytes, nests parentheses and NOTs at
// most MaxDepth deep and lists at most MaxInValues values in one IN; a sort
// has at most MaxSortKeys keys and a projection at most MaxFields fields.
// Each limit is its own clear 400 with code query.too_complex. A page size
// (`limit=`) is 1..MaxLimit, DefaultLimit when absent (query.bad_limit).
package query
