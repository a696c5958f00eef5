package metadata_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

func TestPullPushPull_isByteIdentical(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	mustPut(t, svc, "account", `{"title":"Account","type":"object","properties":{"name":{"type":"string","x-crm-type":"text"}},"required":["name"]}`)
	mustPut(t, svc, "invoice", `{"title":"Invoice","type":"object","properties":{
		"account":{"type":"string","x-crm-type":"lookup","x-crm-target":"account"},
		"amount":{"type":"number","x-crm-type":"currency"}}}`)
	if _, _, err := svc.PutView(ctx, tenant, "layout", "account", "main", []byte(`{"name":"main","object":"account","sections":[{"items":[{"field":"name"}]}]}`), "u1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.PutView(ctx, tenant, "listview", "invoice", "big", []byte(`{"name":"big","object":"invoice","columns":["amount"],"filter":"amount > 100"}`), "u1"); err != nil {
		t.Fatal(err)
	}
	first := t.TempDir()
	n, err := svc.Pull(ctx, tenant, first)
	if err != nil || n != 4 {
		t.Fatalf("pull wrote %d files, err %v", n, err)
	}

	// Push into a fresh tenant, pull again: the same bytes.
	if err := svc.Provision(ctx, "t2"); err != nil {
		t.Fatal(err)
	}
	rep, err := svc.Push(ctx, "t2", first, "u2")
	if err != nil || len(rep.Objects) != 2 || len(rep.Views) != 2 {
		t.Fatalf("push report %+v, err %v", rep, err)
	}
	second := t.TempDir()
	if _, err := svc.Pull(ctx, "t2", second); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"objects/account.json", "objects/invoice.json", "layouts/account/main.json", "listviews/invoice/big.json"} {
		a, err1 := os.ReadFile(filepath.Join(first, rel))
		b, err2 := os.ReadFile(filepath.Join(second, rel))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Fatalf("%s differs after pull -> push -> pull (%v %v):\n%s\n---\n%s", rel, err1, err2, a, b)
		}
	}
	// Pushing the same files again changes nothing.
	if rep, err := svc.Push(ctx, "t2", second, "u2"); err != nil || len(rep.Objects)+len(rep.Views) != 0 {
		t.Fatalf("second push %+v, %v", rep, err)
	}
}

func TestPush_stopsBeforeWritingWhenAFileIsBad(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "objects"), 0o755)
	os.WriteFile(filepath.Join(dir, "objects", "good.json"), []byte(`{"title":"Good","type":"object","properties":{}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "objects", "bad.json"), []byte(`{"title":"Bad","type":"object","properties":{"x":{"type":"string","x-crm-type":"nope"}}}`), 0o644)
	_, err := svc.Push(ctx, tenant, dir, "u1")
	if errs.KindOf(err) != errs.Invalid || !strings.Contains(err.Error(), "objects/bad.json") {
		t.Fatalf("err = %v", err)
	}
	if list, _ := svc.List(ctx, tenant); len(list) != 0 {
		t.Fatalf("a failed push wrote %v", list)
	}
}
