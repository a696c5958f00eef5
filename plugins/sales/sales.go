// Package sales is the standard CRM app: a package of metadata (leads with
// the lead pool, accounts, contacts, opportunities, activities, campaigns
// and tasks, their layouts and list views, the lead duplicate rule as a
// script, the sales roles and the pool's recycle workflows), embedded in FS
// for plugins.Load, and the app's domain logic that metadata cannot say:
// lead conversion (convert.go), the lead pool's claim, release and assign
// (pool.go) and the sales reports (reports.go).
//
// Every record it reads or writes goes through the record service with the
// caller's principal in the context; its own bookkeeping (the conversion
// journal, the tenant's sales settings) lives in its own collections.
//
// Its HTTP handlers (rest.go, Mount) are thin: one Service call each.
//
// It imports objects/records, platform packages and fiber (for rest.go
// only); never plugins (which imports it for FS) or the JavaScript
// runtime. plugins.Load skips its top-level Go files.
package sales

import "embed"

// FS holds the package's files: manifest.json, objects/, layouts/,
// listviews/, roles/, workflows/ and sharing/. Its rules that need code
// (the duplicate rule, conversion, the pool) are Go, in this directory.
//
//go:embed manifest.json objects layouts listviews roles workflows sharing
var FS embed.FS
