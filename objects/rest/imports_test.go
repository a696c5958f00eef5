package rest_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestImportExportAPI(t *testing.T) {
	env := setup(t)
	type job struct {
		ID, Status                        string
		Rows, Processed, Created, Updated int
		Failed                            int
		Errors                            []struct {
			Row  int
			Code string
		}
	}
	wait := func(t *testing.T, id string) job {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var j job
			env.MustDo(t, "GET", "/api/v1/imports/"+id, env.Tokens["admin"], "", 200, &j)
			if j.Status != "running" {
				return j
			}
			if time.Now().After(deadline) {
				t.Fatalf("import still running: %+v", j)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	csvText := "Amount,Mail,State,Ignored\n10.50,a@imp.test,sent,x\n-3,b@imp.test,draft,x\n7,c@imp.test,lost,x\n2,a@imp.test,paid,x\n"
	body, _ := json.Marshal(map[string]any{"csv": csvText, "mapping": map[string]string{"Amount": "amount", "Mail": "email", "State": "status"}})
	var started job
	res := env.MustDo(t, "POST", "/api/v1/records/invoice/import", env.Tokens["admin"], string(body), 202, &started)
	if res.Header.Get("Location") != "/api/v1/imports/"+started.ID || started.Rows != 4 {
		t.Fatalf("started %+v, location %q", started, res.Header.Get("Location"))
	}
	j := wait(t, started.ID)
	if j.Status != "done" || j.Created != 1 || j.Failed != 3 || len(j.Errors) != 3 ||
		j.Errors[0].Row != 2 || j.Errors[1].Row != 3 || j.Errors[2].Code != "record.duplicate" {
		t.Fatalf("report %+v", j)
	}

	t.Run("upsert by external id updates what exists", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"csv": "amount,email\n99,a@imp.test\n5,new@imp.test\n", "mode": "upsert", "externalIdField": "email"})
		env.MustDo(t, "POST", "/api/v1/records/invoice/import", env.Tokens["admin"], string(body), 202, &started)
		if j := wait(t, started.ID); j.Created != 1 || j.Updated != 1 || j.Failed != 0 {
			t.Fatalf("report %+v", j)
		}
	})
	t.Run("bad input is refused before the job starts", func(t *testing.T) {
		for _, b := range []string{
			`{"csv":"amount\n"}`,
			`{"csv":"a,\"b\n1,2"}`,
			`{"csv":"amount\n1\n","mode":"merge"}`,
			`{"csv":"amount\n1\n","mapping":{"nope":"amount"}}`,
		} {
			env.MustDo(t, "POST", "/api/v1/records/invoice/import", env.Tokens["admin"], b, 400, nil)
		}
		env.MustDo(t, "GET", "/api/v1/imports/nope", env.Tokens["admin"], "", 404, nil)
	})
	t.Run("export streams the filtered records as CSV", func(t *testing.T) {
		res := env.Do(t, "GET", "/api/v1/records/invoice/export?filter=amount%20%3E%3D%205&sort=amount&fields=amount,email", env.Tokens["admin"], "")
		if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export %d %s", res.Status, res.Body)
		}
		rows, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || strings.Join(rows[0], ",") != "id,amount,email" || rows[1][1] != "5.00" || rows[2][1] != "99.00" {
			t.Fatalf("rows %v", rows)
		}
		env.MustDo(t, "GET", "/api/v1/records/invoice/export?filter=nope%20%3D%201", env.Tokens["admin"], "", 400, nil)
	})
}
