package openapi

import (
	"strconv"
	"strings"
)

// objectNames are the component and operation names of one object.
type objectNames struct {
	// Base is the schema name of the record ("SalesOrder"); Plural names
	// the collection in operation ids ("SalesOrders").
	Base, Plural string
}

func (n objectNames) schemas() []string {
	b := n.Base
	return []string{b, b + "Input", b + "Patch", b + "List", b + "BulkRecord", b + "BulkRequest",
		b + "BulkResult", b + "BulkResponse", b + "AggregateRequest", b + "DeletedList"}
}

func (n objectNames) operations() []string {
	b, p := n.Base, n.Plural
	return []string{"list" + p, "create" + b, "get" + b, "update" + b, "delete" + b, "restore" + b,
		"get" + b + "History", "bulk" + p, "aggregate" + p, "listDeleted" + p, "import" + p, "export" + p,
		"listRelatedOf" + b, "list" + b + "WorkflowRuns"}
}

// namer hands out names that collide with no other name of the document,
// compared without case: client generators often turn schema names into
// file names, and some file systems ignore case.
type namer struct{ used map[string]bool }

func newNamer(reserved ...[]string) *namer {
	n := &namer{used: map[string]bool{}}
	for _, list := range reserved {
		for _, s := range list {
			n.used[strings.ToLower(s)] = true
		}
	}
	return n
}

// object allocates the names of an object: the PascalCase of its API name,
// followed by 2, 3... when any derived name is taken. Objects must be
// offered in a fixed order for the result to be deterministic.
func (n *namer) object(apiName string) objectNames {
	base := pascal(apiName)
	for i := 1; ; i++ {
		b := base
		if i > 1 {
			b += strconv.Itoa(i)
		}
		cand := objectNames{Base: b, Plural: plural(b)}
		all := append(cand.schemas(), cand.operations()...)
		free := true
		for _, s := range all {
			if n.used[strings.ToLower(s)] {
				free = false
				break
			}
		}
		if !free {
			continue
		}
		for _, s := range all {
			n.used[strings.ToLower(s)] = true
		}
		return cand
	}
}

// pascal turns an API name into a schema name: "sales_order" is
// "SalesOrder", "lead" is "Lead".
func pascal(apiName string) string {
	var b strings.Builder
	up := true
	for _, r := range apiName {
		switch {
		case r == '_':
			up = true
		case up && r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
			up = false
		default:
			b.WriteRune(r)
			up = false
		}
	}
	if b.Len() == 0 {
		return "Object"
	}
	return b.String()
}

// plural is the English plural of a PascalCase name, good enough for
// operation ids: "Opportunity" is "Opportunities", "Address" "Addresses".
func plural(name string) string {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, "y") && len(lower) > 1 && !strings.ContainsRune("aeiou", rune(lower[len(lower)-2])):
		return name[:len(name)-1] + "ies"
	case strings.HasSuffix(lower, "s"), strings.HasSuffix(lower, "x"), strings.HasSuffix(lower, "z"),
		strings.HasSuffix(lower, "ch"), strings.HasSuffix(lower, "sh"):
		return name + "es"
	}
	return name + "s"
}
