package records_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store/sqlite"
	tenantreg "github.com/opencrm/crm/platform/tenant"
)

const fuzzObject = `{"title":"Deal","type":"object","properties":{
 "name":{"type":"string","x-crm-type":"text","maxLength":80},
 "amount":{"type":"number","x-crm-type":"currency","minimum":0},
 "stage":{"type":"string","x-crm-type":"picklist","enum":["new","won","lost"],"default":"new"},
 "tags":{"type":"array","x-crm-type":"multipicklist","items":{"enum":["a","b"]}},
 "closeOn":{"type":"string","x-crm-type":"date"},
 "at":{"type":"string","x-crm-type":"datetime"},
 "site":{"type":"string","x-crm-type":"url"},
 "mail":{"type":"string","x-crm-type":"email","x-crm-unique":true},
 "pct":{"type":"number","x-crm-type":"percent"},
 "ok":{"type":"boolean","x-crm-type":"boolean"},
 "where":{"type":"object","x-crm-type":"geolocation"},
 "notes":{"type":"string","x-crm-type":"richtext"}},
 "required":["name"]}`

// FuzzCreate sends arbitrary JSON bodies to the record pipeline: it must never
// fail with an internal error or panic, and a refused body writes nothing.
func FuzzCreate(f *testing.F) {
	for _, seed := range []string{
		`{"name":"a"}`, `{"name":"a","amount":1.25}`, `{"amount":-1}`, `{"name":"x","stage":"lost","tags":["a"]}`,
		`{"name":"x","closeOn":"2026-02-30"}`, `{"name":"x","at":"2026-01-01T10:00:00+02:00"}`, `{"name":1}`,
		`{"name":"x","where":{"lat":91,"lng":0}}`, `{"name":"x","notes":"<script>x</script><b>ok</b>"}`,
		`{"name":"x","id":"forged","version":9}`, `{"name":"x","mail":"a@b.c"}`, `{"name":"x","amount":1e400}`,
		`{"name":"x","amount":0.001}`, `{"name":"x","tags":"a"}`, `{"name":null}`, `{"":""}`, `{"name":"x","owner":"nobody"}`,
	} {
		f.Add([]byte(seed))
	}
	st, err := sqlite.Open(sqlite.Config{Dir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	reg, err := tenantreg.Open(ctx, st)
	if err != nil {
		f.Fatal(err)
	}
	ids, err := identity.New(st, reg, identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}})
	if err != nil {
		f.Fatal(err)
	}
	meta, err := metadata.New(st, metadata.Config{})
	if err != nil {
		f.Fatal(err)
	}
	recs, err := records.New(st, meta, ids, records.Config{CursorKey: bytes.Repeat([]byte("k"), 32)})
	if err != nil {
		f.Fatal(err)
	}
	on, err := ids.Onboard(ctx, "fuzz", identity.NewUser{Email: "a@fuzz.test", Password: "fuzz password"}, meta.Provision, recs.Provision)
	if err != nil {
		f.Fatal(err)
	}
	if _, _, err := meta.Put(ctx, on.Tenant.ID, "deal", []byte(fuzzObject), metadata.PutOptions{}); err != nil {
		f.Fatal(err)
	}
	p, err := ids.Authenticate(ctx, on.APIKey)
	if err != nil {
		f.Fatal(err)
	}
	pctx := identity.WithPrincipal(ctx, p)
	f.Fuzz(func(t *testing.T, body []byte) {
		var in map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&in) != nil || in == nil {
			return // the HTTP edge refuses what is not a JSON object
		}
		before, err := st.Count(ctx, on.Tenant.ID, "deal", nil)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := recs.Create(pctx, "deal", in)
		after, _ := st.Count(ctx, on.Tenant.ID, "deal", nil)
		if err != nil {
			if k := errs.KindOf(err); k == errs.Internal || k == errs.Unavailable {
				t.Fatalf("body %s: internal error %v", body, err)
			}
			if after != before {
				t.Fatalf("body %s was refused (%v) but %d records were written", body, err, after-before)
			}
			return
		}
		if after != before+1 {
			t.Fatalf("body %s: created, but the count went %d -> %d", body, before, after)
		}
		// What was stored reads back through the same pipeline.
		if _, err := recs.Get(pctx, "deal", rec.ID, records.GetOptions{}); err != nil {
			t.Fatalf("created %s cannot be read: %v", rec.ID, err)
		}
	})
}
