// Package schema owns the object definitions of the metadata engine: the
// parsing of an object's JSON Schema (2020-12) document with its x-crm-*
// keywords, the embedded meta-schema that validates every definition, the
// registry of field types (one file per type), the compiled record validators
// and their cache, the rules that say which definition changes are safe, and
// layouts and list views checked against an object.
//
// It is the only package of the project that imports
// github.com/santhosh-tekuri/jsonschema. It imports platform/errs and
// platform/store (for store.Index) and nothing else of the project: it must
// not import the record service, the formula or query languages, the HTTP
// edge or any store adapter. Where it needs to know about other objects (a
// lookup's target) it declares the small Resolver interface that the
// metadata service implements.
//
// # Values
//
// Every field type turns API input (JSON decoded with UseNumber, so numbers
// arrive as json.Number; float64 and int64 are accepted too) into its stored
// form with Normalize, and a stored value back into API output with Render.
// Stored forms are those of store.Doc: strings, int64, float64, bool, []any
// and map[string]any. Dates are stored as "2006-01-02", date-times as
// "2006-01-02T15:04:05.000Z" (UTC, fixed width), currency as int64 minor
// units.
package schema
