// Package seed owns the demo data: deterministic generators of a realistic
// sales tenant at any size (1,000 to 1,000,000 leads) and `crm seed`'s
// Run, which writes it.
//
// A seed onboards the tenant when it is missing, installs the sales
// package (plugins/sales) through the caller's installer, creates a sales
// organisation (a director, team managers, reps, the manager chain), one
// campaign per channel and quarter with its cost, then the leads of 18
// months with their activities (calls, meetings, visits with a check-in
// location), conversions into accounts, contacts and opportunities
// (stages, amounts, close dates, forecast categories) and tasks. Channels
// differ by design (the table in model.go): referral converts best and
// costs least, SEM costs most and converts worst; reps differ in skill,
// responsiveness and optimism; volume grows over the period; open leads
// idle for 15 days are back in the public pool, as the pool workflow
// would have put them.
//
// Every record goes through the record pipeline (records.Service.Bulk) as
// the tenant's admin, so the lead duplicate rule, validation, field
// history and the workflow outbox all run. The record service's clock
// (Clock) is pinned to the moment of each write in the seeded history, so
// createdAt and the field history carry those dates. A share of the leads
// (Config.HistoryPercent) is written as it happened (created at UQL, then
// one update per stage change, conversion and opportunity stage); the rest
// are created at their final stage, with the same fields.
//
// The same Config gives the same data, ids aside: every random choice
// comes from a generator seeded by Config.Seed and the lead's number.
//
// It imports objects (records, metadata) and platform packages; never
// plugins, studio or cmd (the caller passes the installer of the sales
// package as a function).
package seed
