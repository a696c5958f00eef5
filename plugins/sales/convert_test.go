package sales_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/plugins/sales"
)

var annLead = map[string]any{"name": "Ann Lee", "company": "Acme Tools", "email": "ann@acme-tools.example", "phone": "+86 10 5555 0101",
	"source": "seo", "businessLine": "software", "industry": "manufacturing", "region": "east"}

func TestConvert_overHTTP(t *testing.T) {
	e := newEnv(t)
	lead := e.newLead(t, "ann", annLead)

	first := e.call(t, "ann", "POST", "/api/v1/records/lead/"+lead+"/convert",
		`{"opportunity":true,"mapping":{"opportunity":{"amount":12000},"account":{"website":"https://acme-tools.example"}}}`, 200)
	acc, con, opp, l := first["account"].(map[string]any), first["contact"].(map[string]any), first["opportunity"].(map[string]any), first["lead"].(map[string]any)

	t.Run("the account comes from the company", func(t *testing.T) {
		for k, want := range map[string]any{"name": "Acme Tools", "industry": "manufacturing", "region": "east",
			"website": "https://acme-tools.example", "sourceLead": lead, "owner": e.users["ann"].ID} {
			if acc[k] != want {
				t.Errorf("account %s = %v, want %v", k, acc[k], want)
			}
		}
	})
	t.Run("the contact comes from the person and belongs to the account", func(t *testing.T) {
		for k, want := range map[string]any{"firstName": "Ann", "lastName": "Lee", "email": "ann@acme-tools.example",
			"phone": "+86 10 5555 0101", "account": acc["id"], "sourceLead": lead} {
			if con[k] != want {
				t.Errorf("contact %s = %v, want %v", k, con[k], want)
			}
		}
	})
	t.Run("the opportunity links both and keeps the lead's channel", func(t *testing.T) {
		for k, want := range map[string]any{"name": "Acme Tools – software", "stage": "prospecting", "account": acc["id"],
			"contact": con["id"], "leadSource": "seo", "amount": 12000.0, "sourceLead": lead} {
			if opp[k] != want {
				t.Errorf("opportunity %s = %v, want %v", k, opp[k], want)
			}
		}
		if d, _ := opp["closeDate"].(string); len(d) != 10 {
			t.Errorf("close date %v", opp["closeDate"])
		}
	})
	t.Run("the lead links to what it became", func(t *testing.T) {
		for k, want := range map[string]any{"stage": "converted", "convertedAccount": acc["id"], "convertedContact": con["id"],
			"convertedOpportunity": opp["id"]} {
			if l[k] != want {
				t.Errorf("lead %s = %v, want %v", k, l[k], want)
			}
		}
	})
	t.Run("a second call returns the same records and makes none", func(t *testing.T) {
		again := e.call(t, "ann", "POST", "/api/v1/records/lead/"+lead+"/convert", `{"opportunity":false}`, 200)
		for _, k := range []string{"account", "contact", "opportunity"} {
			if again[k].(map[string]any)["id"] != first[k].(map[string]any)["id"] {
				t.Errorf("%s %v, first %v", k, again[k], first[k])
			}
		}
		for _, o := range []string{"account", "contact", "opportunity"} {
			if n := e.count(t, o, "sourceLead = '"+lead+"'"); n != 1 {
				t.Errorf("%d %s records from the lead, want 1", n, o)
			}
		}
	})
	t.Run("without an opportunity there is none", func(t *testing.T) {
		id := e.newLead(t, "ann", map[string]any{"name": "Solo", "source": "referral"})
		out := e.call(t, "ann", "POST", "/api/v1/records/lead/"+id+"/convert", "", 200)
		if out["opportunity"] != nil || out["account"].(map[string]any)["name"] != "Solo" || out["contact"].(map[string]any)["lastName"] != "Solo" {
			t.Errorf("conversion %v", out)
		}
		if n := e.count(t, "opportunity", "sourceLead = '"+id+"'"); n != 0 {
			t.Errorf("%d opportunities", n)
		}
	})
	for _, c := range []struct {
		name, as, lead, body string
		status               int
		problem              string
	}{
		{"another rep sees a lead in the pool but cannot convert it", "bob", e.newLead(t, "ann", map[string]any{"name": "Hidden", "source": "app"}), "", 403, "record.read_only"},
		{"a disqualified lead is refused", "ann", e.newLead(t, "ann", map[string]any{"name": "Gone", "source": "app", "stage": "disqualified"}), "", 409, "lead.disqualified"},
		{"an opportunity mapping needs an opportunity", "ann", e.newLead(t, "ann", map[string]any{"name": "Opp", "source": "app"}),
			`{"mapping":{"opportunity":{"amount":1}}}`, 422, "lead.convert_invalid"},
		{"a mapping names a target object", "ann", e.newLead(t, "ann", map[string]any{"name": "Tgt", "source": "app"}),
			`{"mapping":{"invoice":{"amount":1}}}`, 422, "lead.convert_invalid"},
		{"a mapped field must exist", "ann", e.newLead(t, "ann", map[string]any{"name": "Fld", "source": "app"}),
			`{"mapping":{"account":{"nmae":"x"}}}`, 422, "record.invalid"},
		{"no credential", "", "x", "", 401, "auth.missing_credential"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := e.Tokens[c.as]
			res := e.Do(t, "POST", "/api/v1/records/lead/"+c.lead+"/convert", tok, c.body)
			if res.Status != c.status || !strings.Contains(string(res.Body), `"code":"`+c.problem+`"`) {
				t.Fatalf("status %d, body %s; want %d %s", res.Status, res.Body, c.status, c.problem)
			}
		})
	}
	t.Run("a refused conversion wrote nothing", func(t *testing.T) {
		if n := e.count(t, "account", ""); n != 2 {
			t.Errorf("%d accounts, want 2", n)
		}
	})
	t.Run("a lead field maps by name", func(t *testing.T) {
		id := e.newLead(t, "ann", map[string]any{"name": "Zed Zhou", "company": "Zhou Ltd", "source": "app", "email": "zed@zhou.example"})
		out := e.call(t, "ann", "POST", "/api/v1/records/lead/"+id+"/convert", `{"mapping":{"account":{"name":{"from":"name"}}}}`, 200)
		if out["account"].(map[string]any)["name"] != "Zed Zhou" {
			t.Errorf("account %v", out["account"])
		}
	})
}

var errCrash = errors.New("simulated crash")

// TestConvert_resumesAfterAFailedStep stops a conversion after each step
// has written its record (before the journal records it, the worst
// moment), on both paths, then converts again: it completes, and every
// record exists once.
func TestConvert_resumesAfterAFailedStep(t *testing.T) {
	e := newEnv(t)
	for _, mode := range []struct {
		name  string
		noTx  bool
		after map[string]int // step -> records of each kind left behind: account, contact, opportunity
	}{
		{"in one transaction", false, map[string]int{"account": 0, "contact": 0, "opportunity": 0, "lead": 0}},
		{"as journaled steps", true, map[string]int{"account": 1, "contact": 2, "opportunity": 3, "lead": 3}},
	} {
		for _, step := range []string{"account", "contact", "opportunity", "lead"} {
			t.Run(mode.name+", failing after the "+step, func(t *testing.T) {
				lead := e.newLead(t, "ann", map[string]any{"name": "Crash " + step, "company": "Crash Co", "source": "sem",
					"email": fmt.Sprintf("%s.%v@crash.example", step, mode.noTx)})
				faulty, err := sales.New(e.App.Records, e.App.Store, sales.Config{NoTransactions: mode.noTx,
					Fault: func(s string) error {
						if s == step {
							return errCrash
						}
						return nil
					}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := faulty.Convert(e.as("ann"), lead, sales.ConvertRequest{Opportunity: true}); !errors.Is(err, errCrash) {
					t.Fatalf("first call: %v, want the crash", err)
				}
				left := 0
				for _, o := range []string{"account", "contact", "opportunity"} {
					left += e.count(t, o, "sourceLead = '"+lead+"'")
				}
				if left != mode.after[step] {
					t.Errorf("%d records left after the failure, want %d", left, mode.after[step])
				}
				stage := e.call(t, "ann", "GET", "/api/v1/records/lead/"+lead, "", 200)["stage"]
				if (stage == "converted") != (mode.noTx && step == "lead") {
					t.Errorf("lead stage %v after the failure", stage)
				}

				healthy, err := sales.New(e.App.Records, e.App.Store, sales.Config{NoTransactions: mode.noTx})
				if err != nil {
					t.Fatal(err)
				}
				out, err := healthy.Convert(e.as("ann"), lead, sales.ConvertRequest{Opportunity: true})
				if err != nil {
					t.Fatalf("retry: %v", err)
				}
				checkComplete(t, e, lead, out)
			})
		}
	}
}

func checkComplete(t *testing.T, e *env, lead string, out *sales.Conversion) {
	t.Helper()
	if out.Account == nil || out.Contact == nil || out.Opportunity == nil {
		t.Fatalf("incomplete conversion %+v", out)
	}
	if out.Lead.Data["stage"] != "converted" || out.Lead.Data["convertedAccount"] != out.Account.ID ||
		out.Lead.Data["convertedContact"] != out.Contact.ID || out.Lead.Data["convertedOpportunity"] != out.Opportunity.ID {
		t.Errorf("lead %v", out.Lead.Data)
	}
	if out.Contact.Data["account"] != out.Account.ID || out.Opportunity.Data["contact"] != out.Contact.ID {
		t.Errorf("links: contact %v, opportunity %v", out.Contact.Data, out.Opportunity.Data)
	}
	for _, o := range []string{"account", "contact", "opportunity"} {
		if n := e.count(t, o, "sourceLead = '"+lead+"'"); n != 1 {
			t.Errorf("%d %s records from the lead, want 1", n, o)
		}
	}
}

// TestConvert_crashedCallIsResumedAfterItsLease: a call that dies without
// cleaning up (a panic standing for a process crash) holds the journal's
// lease; a second call is refused until the lease runs out, then finishes
// the conversion.
func TestConvert_crashedCallIsResumedAfterItsLease(t *testing.T) {
	e := newEnv(t)
	clk := clock.NewManual(time.Now())
	lead := e.newLead(t, "ann", map[string]any{"name": "Crashy", "company": "Crash Co", "source": "sem"})
	crashing, err := sales.New(e.App.Records, e.App.Store, sales.Config{NoTransactions: true, Clock: clk,
		Fault: func(s string) error {
			if s == "contact" {
				panic(errCrash)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != errCrash {
				t.Fatalf("recovered %v", r)
			}
		}()
		_, _ = crashing.Convert(e.as("ann"), lead, sales.ConvertRequest{Opportunity: true})
	}()
	next, err := sales.New(e.App.Records, e.App.Store, sales.Config{NoTransactions: true, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	_, err = next.Convert(e.as("ann"), lead, sales.ConvertRequest{Opportunity: true})
	if errs.CodeOf(err) != "lead.conversion_in_progress" {
		t.Fatalf("while the lease runs: %v", err)
	}
	clk.Advance(31 * time.Second)
	out, err := next.Convert(e.as("ann"), lead, sales.ConvertRequest{Opportunity: true})
	if err != nil {
		t.Fatal(err)
	}
	checkComplete(t, e, lead, out)
}

// TestConvert_concurrentCallsMakeOneOfEach runs several conversions of one
// lead at once on each path: all that succeed return the same records.
func TestConvert_concurrentCallsMakeOneOfEach(t *testing.T) {
	e := newEnv(t)
	for _, noTx := range []bool{false, true} {
		t.Run(fmt.Sprintf("noTransactions=%v", noTx), func(t *testing.T) {
			lead := e.newLead(t, "ann", map[string]any{"name": "Race", "company": "Race Co", "source": "sem",
				"email": fmt.Sprintf("race.%v@race.example", noTx)})
			svc, err := sales.New(e.App.Records, e.App.Store, sales.Config{NoTransactions: noTx})
			if err != nil {
				t.Fatal(err)
			}
			const n = 6
			type result struct {
				out *sales.Conversion
				err error
			}
			results := make(chan result, n)
			for range n {
				go func() {
					out, err := svc.Convert(e.as("ann"), lead, sales.ConvertRequest{Opportunity: true})
					results <- result{out, err}
				}()
			}
			var accounts []string
			for range n {
				r := <-results
				if r.err != nil {
					if errs.CodeOf(r.err) != "lead.conversion_in_progress" {
						t.Errorf("call failed: %v", r.err)
					}
					continue
				}
				accounts = append(accounts, r.out.Account.ID)
			}
			for _, a := range accounts {
				if a != accounts[0] {
					t.Errorf("accounts %v", accounts)
				}
			}
			out, err := svc.Convert(e.as("ann"), lead, sales.ConvertRequest{Opportunity: true})
			if err != nil {
				t.Fatal(err)
			}
			checkComplete(t, e, lead, out)
		})
	}
}
