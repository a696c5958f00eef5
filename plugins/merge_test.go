package plugins

import (
	"encoding/json"
	"testing"
)

func TestMerge3(t *testing.T) {
	for _, c := range []struct {
		name                     string
		base, theirs, mine, want string
		conflicts                int
	}{
		{"the package's change applies where the tenant changed nothing",
			`{"a":1,"b":2}`, `{"a":1,"b":3}`, `{"a":1,"b":2}`, `{"a":1,"b":3}`, 0},
		{"the tenant's change stays where the package changed nothing",
			`{"a":1,"b":2}`, `{"a":1,"b":2}`, `{"a":5,"b":2}`, `{"a":5,"b":2}`, 0},
		{"both sides' changes to different members combine",
			`{"p":{"x":{"t":"a"}}}`, `{"p":{"x":{"t":"a"},"y":{"t":"b"}}}`, `{"p":{"x":{"t":"a"},"z":{"t":"c"}}}`,
			`{"p":{"x":{"t":"a"},"z":{"t":"c"},"y":{"t":"b"}}}`, 0},
		{"a removal by the package applies to what the tenant left alone",
			`{"a":1,"b":2}`, `{"a":1}`, `{"a":1,"b":2}`, `{"a":1}`, 0},
		{"different changes to one member keep the tenant's and report it",
			`{"a":1}`, `{"a":2}`, `{"a":3}`, `{"a":3}`, 1},
		{"string sets merge additions and removals of both sides",
			`{"enum":["a","b","c"]}`, `{"enum":["a","b","c","d"]}`, `{"enum":["a","c","e"]}`, `{"enum":["a","c","d","e"]}`, 0},
		{"the same change on both sides is no conflict",
			`{"a":1}`, `{"a":2}`, `{"a":2}`, `{"a":2}`, 0},
		{"without a base, what only one side has is kept",
			``, `{"a":1,"b":2}`, `{"a":1,"c":3}`, `{"a":1,"c":3,"b":2}`, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var conflicts []Conflict
			var base json.RawMessage
			if c.base != "" {
				base = json.RawMessage(c.base)
			}
			got := merge3(base, json.RawMessage(c.theirs), json.RawMessage(c.mine), "", &conflicts)
			if string(got) != c.want {
				t.Errorf("merged %s, want %s", got, c.want)
			}
			if len(conflicts) != c.conflicts {
				t.Errorf("conflicts %+v, want %d", conflicts, c.conflicts)
			}
		})
	}
}

func TestMergeObjectKeepsDroppedFieldsAsDeleted(t *testing.T) {
	base := `{"title":"T","properties":{"a":{"x-crm-type":"text"},"b":{"x-crm-type":"text"}}}`
	theirs := `{"title":"T","properties":{"a":{"x-crm-type":"text"}}}`
	var conflicts []Conflict
	got, deprecated, err := mergeObject(json.RawMessage(base), json.RawMessage(theirs), json.RawMessage(base), &conflicts)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"title":"T","properties":{"a":{"x-crm-type":"text"},"b":{"x-crm-type":"text","x-crm-deleted":true}}}`
	if string(got) != want || len(deprecated) != 1 || deprecated[0] != "b" {
		t.Errorf("merged %s (deprecated %v), want %s", got, deprecated, want)
	}
}

func TestDecide(t *testing.T) {
	a, b, c := []byte(`{"v":1}`), []byte(`{"v":2}`), []byte(`{"v":3}`)
	for _, x := range []struct {
		name               string
		base, theirs, mine []byte
		op                 string
	}{
		{"new in the package is created", nil, a, nil, OpCreate},
		{"unchanged by the tenant is updated", a, b, a, OpUpdate},
		{"changed by the tenant is kept", a, a, b, OpKeep},
		{"changed by both is kept", a, b, c, OpKeep},
		{"deleted by the tenant stays deleted", a, b, nil, OpSkip},
		{"dropped by the package and unchanged is deleted", a, nil, a, OpDelete},
		{"dropped by the package but changed stays", a, nil, b, OpKeep},
		{"the tenant's own of the same name is kept", nil, a, b, OpKeep},
		{"none of the package's business", nil, nil, a, ""},
	} {
		t.Run(x.name, func(t *testing.T) {
			if op, _ := decide(x.base, x.theirs, x.mine); op != x.op {
				t.Errorf("op %q, want %q", op, x.op)
			}
		})
	}
}
