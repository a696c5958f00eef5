// Package types holds the TypeScript declarations of the script API (the
// ctx object hooks receive), for editors and the studio's script editor. It
// is served at GET /api/v1/scripts/types.d.ts; runtime/jsvm's tests keep it
// in sync with the bindings.
package types

import _ "embed"

// DTS is crm.d.ts.
//
//go:embed crm.d.ts
var DTS string
