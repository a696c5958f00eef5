package plugins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/opencrm/crm/platform/errs"
)

// Manifest describes a package: manifest.json.
type Manifest struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	// Dependencies maps the names of packages that must be installed first
	// to version constraints such as ">=1.2" or ">=1.0.0 <2.0.0".
	Dependencies map[string]string `json:"dependencies,omitempty"`
	Permissions  Permissions       `json:"permissions"`
}

// Permissions is what a package asks the installing admin for. The
// contents of a package may not go beyond them.
type Permissions struct {
	// Objects lists every object the package creates.
	Objects []string `json:"objects"`
	// Studio is true when the package changes metadata beyond its own
	// objects: layouts, list views, scripts, roles or workflows.
	Studio bool `json:"studio"`
	// Roles is true when the package defines roles.
	Roles bool `json:"roles,omitempty"`
	// Scripts is "" (none), "caller" or "system": the most a script of the
	// package may run as.
	Scripts string `json:"scripts,omitempty"`
	// Workflows is true when the package defines workflows.
	Workflows bool `json:"workflows,omitempty"`
	// Sharing is true when the package defines criteria sharing rules.
	Sharing bool `json:"sharing,omitempty"`
}

var (
	packageNameRe = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	semverRe      = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$`)
	partialRe     = regexp.MustCompile(`^(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?$`)
)

// ParseManifest decodes and validates manifest.json strictly: unknown
// members, a bad name, a version that is not semver, a dependency
// constraint that does not parse are one 422 plugin.invalid_manifest error
// listing every problem.
func ParseManifest(raw []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, invalidManifest([]errs.FieldError{{Field: "/", Code: "json", Message: "is not a valid manifest: " + err.Error()}})
	}
	return m, m.Validate()
}

// Validate checks the manifest on its own (see Package.Validate for the
// checks against the contents).
func (m Manifest) Validate() error {
	var p []errs.FieldError
	bad := func(field, code, msg string) { p = append(p, errs.FieldError{Field: field, Code: code, Message: msg}) }
	if !packageNameRe.MatchString(m.Name) {
		bad("name", "pattern", "must be a lower-case letter followed by at most 39 lower-case letters, digits, _ or -")
	}
	if _, err := ParseVersion(m.Version); err != nil {
		bad("version", "semver", "must be a semantic version MAJOR.MINOR.PATCH, e.g. 1.0.0")
	}
	if len(m.Description) > 1000 {
		bad("description", "max_length", "at most 1000 characters")
	}
	deps := make([]string, 0, len(m.Dependencies))
	for d := range m.Dependencies {
		deps = append(deps, d)
	}
	sort.Strings(deps)
	for _, d := range deps {
		if !packageNameRe.MatchString(d) {
			bad("dependencies/"+d, "pattern", "is not a package name")
		}
		if d == m.Name {
			bad("dependencies/"+d, "self", "a package cannot depend on itself")
		}
		if _, err := ParseConstraint(m.Dependencies[d]); err != nil {
			bad("dependencies/"+d, "constraint", err.Error())
		}
	}
	seen := map[string]bool{}
	for i, o := range m.Permissions.Objects {
		if !objectNameRe.MatchString(o) {
			bad(fmt.Sprintf("permissions/objects/%d", i), "pattern", "is not an object name: "+o)
		}
		if seen[o] {
			bad(fmt.Sprintf("permissions/objects/%d", i), "duplicate", o+" is listed twice")
		}
		seen[o] = true
	}
	switch m.Permissions.Scripts {
	case "", "caller", "system":
	default:
		bad("permissions/scripts", "enum", `must be "caller" or "system"`)
	}
	if len(p) > 0 {
		return invalidManifest(p)
	}
	return nil
}

var objectNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

func invalidManifest(p []errs.FieldError) error {
	e := errs.New(errs.Invalid, "plugin.invalid_manifest", "the package manifest is invalid: %s: %s", p[0].Field, p[0].Message)
	e.Fields = p
	return e
}

// Version is a parsed semantic version.
type Version struct {
	Major, Minor, Patch int
	Pre                 string
}

// ParseVersion parses MAJOR.MINOR.PATCH with an optional -prerelease.
func ParseVersion(s string) (Version, error) {
	m := semverRe.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("%q is not a semantic version", s)
	}
	return Version{Major: atoi(m[1]), Minor: atoi(m[2]), Patch: atoi(m[3]), Pre: m[4]}, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// Compare returns -1, 0 or 1 by semantic version precedence: a
// prerelease sorts before its release; prerelease identifiers compare
// numerically when both are numbers, else as text.
func (v Version) Compare(o Version) int {
	for _, d := range [][2]int{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		if d[0] != d[1] {
			return sign(d[0] - d[1])
		}
	}
	switch {
	case v.Pre == o.Pre:
		return 0
	case v.Pre == "":
		return 1
	case o.Pre == "":
		return -1
	}
	a, b := strings.Split(v.Pre, "."), strings.Split(o.Pre, ".")
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		na, ea := strconv.Atoi(a[i])
		nb, eb := strconv.Atoi(b[i])
		switch {
		case ea == nil && eb == nil:
			return sign(na - nb)
		case ea == nil:
			return -1
		case eb == nil:
			return 1
		}
		return strings.Compare(a[i], b[i])
	}
	return sign(len(a) - len(b))
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// Constraint is a dependency's version range: every comparator must hold.
type Constraint []comparator

type comparator struct {
	op string // >=, >, <=, <, =
	v  Version
}

// ParseConstraint parses space-separated comparators ">=1.2", ">1.0.0",
// "<=2", "<2.0.0", "=1.2.3" or a bare version (meaning =); a partial
// version fills the missing parts with 0.
func ParseConstraint(s string) (Constraint, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, fmt.Errorf("must be a version constraint such as >=1.0")
	}
	var c Constraint
	for _, f := range fields {
		op := ""
		for _, o := range []string{">=", "<=", ">", "<", "="} {
			if strings.HasPrefix(f, o) {
				op, f = o, f[len(o):]
				break
			}
		}
		if op == "" {
			op = "="
		}
		v, err := ParseVersion(f)
		if err != nil {
			m := partialRe.FindStringSubmatch(f)
			if m == nil {
				return nil, fmt.Errorf("%q is not a version constraint such as >=1.0", s)
			}
			v = Version{Major: atoi(m[1]), Minor: atoi(m[2]), Patch: atoi(m[3])}
		}
		c = append(c, comparator{op: op, v: v})
	}
	return c, nil
}

// Allows reports whether v satisfies every comparator.
func (c Constraint) Allows(v Version) bool {
	for _, cmp := range c {
		r := v.Compare(cmp.v)
		ok := map[string]bool{">=": r >= 0, ">": r > 0, "<=": r <= 0, "<": r < 0, "=": r == 0}[cmp.op]
		if !ok {
			return false
		}
	}
	return true
}
