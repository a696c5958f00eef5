// Package openapi owns the per-tenant OpenAPI 3.1 document served at
// GET /api/v1/openapi.json: it turns a tenant's object definitions, as they
// are now, into one document with a schema per object (its read, create and
// merge-patch shapes), every record route of every object with concrete
// schemas, parameters, headers and problem responses, and the generic routes
// of the platform (objects, auth, API keys, users, tenants).
//
// Generation is a pure function of its Input: the same objects give a
// byte-identical document, so callers cache the bytes per tenant metadata
// version. The package imports objects/schema and platform/errs and nothing
// else of the project: it must not import the record service, the HTTP edge
// or any store, and it never reads the network or the clock.
package openapi
