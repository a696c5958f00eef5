package plugins

import (
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

func TestVersionsCompareBySemverPrecedence(t *testing.T) {
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0", "1.0.1", "1.2.0", "10.0.0"}
	for i := 0; i+1 < len(order); i++ {
		a, err := ParseVersion(order[i])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := ParseVersion(order[i+1])
		if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
			t.Errorf("%s < %s does not hold", order[i], order[i+1])
		}
	}
	for _, bad := range []string{"1.0", "01.0.0", "1.0.0.0", "v1.0.0", ""} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestConstraints(t *testing.T) {
	for _, c := range []struct {
		constraint, version string
		allows              bool
	}{
		{">=1.2", "1.2.0", true},
		{">=1.2", "1.1.9", false},
		{">=1.0.0 <2.0.0", "1.9.9", true},
		{">=1.0.0 <2.0.0", "2.0.0", false},
		{"1.2.3", "1.2.3", true},
		{"=1.2.3", "1.2.4", false},
		{">1", "1.0.1", true},
		{"<=2", "2.0.0", true},
	} {
		t.Run(c.constraint+" "+c.version, func(t *testing.T) {
			k, err := ParseConstraint(c.constraint)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := ParseVersion(c.version)
			if k.Allows(v) != c.allows {
				t.Errorf("allows = %v, want %v", !c.allows, c.allows)
			}
		})
	}
	for _, bad := range []string{"", "about 1", ">=x"} {
		if _, err := ParseConstraint(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestManifestValidation(t *testing.T) {
	for _, c := range []struct {
		name, raw string
		fields    []string
	}{
		{"a valid manifest passes", `{"name":"sales","version":"1.0.0","dependencies":{"base":">=1.0"},"permissions":{"objects":["lead"],"scripts":"system"}}`, nil},
		{"every problem is listed", `{"name":"Sales","version":"1","permissions":{"objects":["lead","lead"],"scripts":"root"}}`,
			[]string{"name", "version", "permissions/objects/1", "permissions/scripts"}},
		{"a package cannot depend on itself", `{"name":"a","version":"1.0.0","dependencies":{"a":">=1"},"permissions":{"objects":[]}}`,
			[]string{"dependencies/a"}},
		{"unknown members are refused", `{"name":"a","version":"1.0.0","permissions":{"objects":[]},"extra":true}`, []string{"/"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseManifest([]byte(c.raw))
			if c.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid || e.Code != "plugin.invalid_manifest" {
				t.Fatalf("error %v", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if len(got) != len(c.fields) {
				t.Fatalf("fields %v, want %v", got, c.fields)
			}
			for i := range got {
				if got[i] != c.fields[i] {
					t.Errorf("fields %v, want %v", got, c.fields)
				}
			}
		})
	}
}

func TestTheSalesPackageLoads(t *testing.T) {
	c, err := Builtins()
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Get("sales")
	if err != nil {
		t.Fatal(err)
	}
	order := p.Objects()
	pos := map[string]int{}
	for i, o := range order {
		pos[o] = i
	}
	for _, dep := range [][2]string{{"account", "contact"}, {"contact", "opportunity"}, {"opportunity", "lead"}, {"lead", "activity"}} {
		if pos[dep[0]] > pos[dep[1]] {
			t.Errorf("%s comes after %s in %v", dep[0], dep[1], order)
		}
	}
	lead, _ := p.Object("lead")
	if ownerOf(lead) != "sales" {
		t.Errorf("lead is not marked as the sales package's: %s", lead.Raw)
	}
}
