package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/cmd/crm/app"
	"github.com/opencrm/crm/cmd/crm/app/testenv"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// BenchmarkGet splits a record read into its layers: the store alone, the
// record service (metadata, permissions, rendering) and the whole API over
// loopback HTTP (authentication, routing, JSON).
func BenchmarkGet(b *testing.B) {
	env := testenv.New(b, func(c *app.Config) { c.RateLimit, c.RateBurst = 1e9, 1e9 })
	env.MustDo(b, "PUT", "/api/v1/objects/lead", env.Tokens["admin"], `{"title":"Lead","type":"object","properties":{
		"name":{"type":"string","x-crm-type":"text"},"email":{"type":"string","x-crm-type":"email","x-crm-indexed":true},
		"score":{"type":"number","x-crm-type":"number"},"stage":{"type":"string","x-crm-type":"picklist","enum":["new","won"]}},
		"required":["name"]}`, 201, nil)
	var rec struct{ ID string }
	env.MustDo(b, "POST", "/api/v1/records/lead", env.Tokens["admin"], `{"name":"Ada","email":"ada@x.test","score":7,"stage":"new"}`, 201, &rec)
	a := env.App
	p, err := a.Identity.Authenticate(context.Background(), env.Tokens["admin"])
	if err != nil {
		b.Fatal(err)
	}
	ctx := identity.WithPrincipal(context.Background(), p)
	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Store.Get(ctx, env.Tenant.ID, "lead", rec.ID, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("service", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Records.Get(ctx, "lead", rec.ID, records.GetOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("http", func(b *testing.B) {
		client := &http.Client{}
		req, _ := http.NewRequest("GET", env.URL+"/api/v1/records/lead/"+rec.ID, nil)
		req.Header.Set("Authorization", "Bearer "+env.Tokens["admin"])
		for b.Loop() {
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatal(res.Status)
			}
		}
	})
	b.Run("http-healthz", func(b *testing.B) {
		client := &http.Client{}
		for b.Loop() {
			res, err := client.Get(env.URL + "/healthz")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
}

// BenchmarkCreate splits a record create into its layers, as BenchmarkGet
// does a read: the store's insert, the record service (validation,
// defaults, hooks, history, outbox) and the API over loopback HTTP.
func BenchmarkCreate(b *testing.B) {
	env := testenv.New(b, func(c *app.Config) { c.RateLimit, c.RateBurst = 1e9, 1e9 })
	env.MustDo(b, "PUT", "/api/v1/objects/lead", env.Tokens["admin"], `{"title":"Lead","type":"object","properties":{
		"name":{"type":"string","x-crm-type":"text"},"email":{"type":"string","x-crm-type":"email","x-crm-indexed":true},
		"score":{"type":"number","x-crm-type":"number"},"stage":{"type":"string","x-crm-type":"picklist","enum":["new","won"]}},
		"required":["name"]}`, 201, nil)
	a := env.App
	p, err := a.Identity.Authenticate(context.Background(), env.Tokens["admin"])
	if err != nil {
		b.Fatal(err)
	}
	ctx := identity.WithPrincipal(context.Background(), p)
	n := 0
	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			n++
			doc := store.Doc{"id": fmt.Sprintf("s%09d", n), "name": "Ada", "email": "ada@x.test", "score": int64(7), "stage": "new",
				"owner": p.UserID, "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"}
			if _, err := a.Store.Insert(ctx, env.Tenant.ID, "lead", doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("service", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Records.Create(ctx, "lead", map[string]any{"name": "Ada", "email": "ada@x.test", "score": 7, "stage": "new"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("http", func(b *testing.B) {
		client := &http.Client{}
		for b.Loop() {
			req, _ := http.NewRequest("POST", env.URL+"/api/v1/records/lead", strings.NewReader(`{"name":"Ada","email":"ada@x.test","score":7,"stage":"new"}`))
			req.Header.Set("Authorization", "Bearer "+env.Tokens["admin"])
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 201 {
				b.Fatal(res.Status)
			}
		}
	})
}

// BenchmarkCreateWithHook is what a trivial before-hook adds to a create
// through the record service: the same object without and with a script
// that sets one field.
func BenchmarkCreateWithHook(b *testing.B) {
	env := testenv.New(b, func(c *app.Config) { c.RateLimit, c.RateBurst = 1e9, 1e9 })
	def := `{"title":"T","type":"object","properties":{"name":{"type":"string","x-crm-type":"text"},
		"status":{"type":"string","x-crm-type":"text"}}}`
	env.MustDo(b, "PUT", "/api/v1/objects/plain", env.Tokens["admin"], def, 201, nil)
	env.MustDo(b, "PUT", "/api/v1/objects/hooked", env.Tokens["admin"], def, 201, nil)
	env.MustDo(b, "PUT", "/api/v1/scripts/status", env.Tokens["admin"], `{"object":"hooked","events":["beforeCreate"],"active":true,
		"source":"function beforeCreate(ctx) { ctx.record.status = 'new' }"}`, 201, nil)
	p, err := env.App.Identity.Authenticate(context.Background(), env.Tokens["admin"])
	if err != nil {
		b.Fatal(err)
	}
	ctx := identity.WithPrincipal(context.Background(), p)
	for _, object := range []string{"plain", "hooked"} {
		b.Run(object, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				rec, err := env.App.Records.Create(ctx, object, map[string]any{"name": "Ann"})
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				if object == "hooked" && rec.Data["status"] != "new" {
					b.Fatalf("the hook did not run: %v", rec.Data)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		})
	}
}

// BenchmarkList50 splits a page of 50 records into the store, the record
// service and the API over HTTP.
func BenchmarkList50(b *testing.B) {
	env := testenv.New(b, func(c *app.Config) { c.RateLimit, c.RateBurst = 1e9, 1e9 })
	env.MustDo(b, "PUT", "/api/v1/objects/lead", env.Tokens["admin"], `{"title":"Lead","type":"object","properties":{
		"name":{"type":"string","x-crm-type":"text"},"email":{"type":"string","x-crm-type":"email","x-crm-indexed":true},
		"company":{"type":"string","x-crm-type":"text"},"phone":{"type":"string","x-crm-type":"phone"},
		"score":{"type":"number","x-crm-type":"number"},"stage":{"type":"string","x-crm-type":"picklist","enum":["new","won"],"x-crm-indexed":true},
		"amount":{"type":"number","x-crm-type":"currency"},"city":{"type":"string","x-crm-type":"text"},
		"active":{"type":"boolean","x-crm-type":"boolean"},"notes":{"type":"string","x-crm-type":"textarea"}},
		"required":["name"]}`, 201, nil)
	var recs []string
	for i := range 60 {
		recs = append(recs, `{"name":"Ada `+string(rune('a'+i%26))+`","email":"a`+time.Duration(i).String()+`@x.test","company":"Acme","phone":"+1 555 0100",
			"score":7,"stage":"new","amount":12.5,"city":"Berlin","active":true,"notes":"Met at the fair"}`)
	}
	env.MustDo(b, "POST", "/api/v1/records/lead/bulk", env.Tokens["admin"], `{"operation":"create","records":[`+strings.Join(recs, ",")+`]}`, 200, nil)
	p, err := env.App.Identity.Authenticate(context.Background(), env.Tokens["admin"])
	if err != nil {
		b.Fatal(err)
	}
	ctx := identity.WithPrincipal(context.Background(), p)
	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			if _, err := env.App.Store.Find(ctx, env.Tenant.ID, "lead", store.Query{Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("service", func(b *testing.B) {
		for b.Loop() {
			if _, err := env.App.Records.List(ctx, "lead", records.ListOptions{Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("http", func(b *testing.B) {
		client := &http.Client{}
		req, _ := http.NewRequest("GET", env.URL+"/api/v1/records/lead?limit=50", nil)
		req.Header.Set("Authorization", "Bearer "+env.Tokens["admin"])
		for b.Loop() {
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatal(res.Status)
			}
		}
	})
}
