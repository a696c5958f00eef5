// Package plugins owns packages of metadata: the package format (a
// manifest plus the same files that `crm metadata pull` writes, and scripts,
// roles, workflows and seed records), the catalog of packages a node offers
// (the built-in ones are embedded: plugins/sales), and the installer that
// installs, upgrades and uninstalls a package in one tenant, each first as a
// plan of what will be created, changed and removed.
//
// # Format
//
//	manifest.json                  name, version (semver), description, dependencies, permissions
//	objects/<object>.json          object definitions (JSON Schema with x-crm-* keywords)
//	layouts/<object>/<name>.json   layouts
//	listviews/<object>/<name>.json list views
//	scripts/<name>.json            {object, events, active, order, runAs}; the source in scripts/<name>.js
//	roles/<name>.json              role definitions, as PUT /roles/{name} takes them
//	workflows/<name>.json          workflow definitions, as PUT /workflows/{name} takes them
//	sharing/<name>.json            criteria sharing rules, as PUT /sharing-rules/{name} takes them
//	seed/<object>.json             an array of records created on install
//
// # Tenants
//
// What a tenant has installed is kept in its "_plugins" collection: one
// document per package with its version, its state and the package's files
// at that version, which are the base of the three-way merge of the next
// upgrade (the old package version, the new one and the tenant's current
// definitions), so fields, layouts and list views the tenant changed or
// added survive an upgrade. Objects a package installs carry
// "x-crm-package": "<name>" so that the object list shows them as not
// custom.
//
// It imports objects (metadata, schema, records, query, workflows), runtime
// (scripts, jsvm to check script sources) and platform packages; never
// studio, seed or cmd. Its own code does not use fiber (the package
// handlers live in plugins/rest); it reaches fiber only through the built-in
// sales package, whose Go side (plugins/sales: conversion, the lead pool,
// reports) mounts its own routes.
package plugins
