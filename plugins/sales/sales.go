// Package sales is the standard CRM app as a package of metadata: leads
// with the lead pool, accounts, contacts, opportunities, activities,
// campaigns and tasks, their layouts and list views, the lead duplicate
// rule (a script), the sales roles and the pool's recycle workflows. The
// files are embedded; plugins.Load reads them from FS. It imports nothing.
package sales

import "embed"

// FS holds the package's files: manifest.json, objects/, layouts/,
// listviews/, scripts/, roles/ and workflows/.
//
//go:embed manifest.json objects layouts listviews scripts roles workflows
var FS embed.FS
