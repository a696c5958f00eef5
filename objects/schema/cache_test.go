package schema

import (
	"sync"
	"testing"
)

func TestCache_compilesOncePerVersionAndDropsOldVersions(t *testing.T) {
	c, err := NewCache(CacheConfig{MaxEntries: 2})
	if err != nil {
		t.Fatal(err)
	}
	v1 := mustParse(t, "invoice", invoiceDef)
	var wg sync.WaitGroup
	got := make([]*Validator, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = c.Validator("acme", 1, v1)
		}()
	}
	wg.Wait()
	for _, g := range got {
		if g == nil || g != got[0] {
			t.Fatal("concurrent misses compiled different validators")
		}
	}
	v2 := mustParse(t, "invoice", invoiceDef)
	second, _ := c.Validator("acme", 2, v2)
	if second == got[0] || c.Len() != 1 {
		t.Fatalf("version 2 reused version 1 or kept it (len %d)", c.Len())
	}
	c.Validator("globex", 1, v1)
	c.Validator("initech", 1, v1)
	if c.Len() != 2 {
		t.Fatalf("cache grew beyond MaxEntries: %d", c.Len())
	}
	c.Forget("initech", "")
	if c.Len() != 1 {
		t.Fatalf("Forget left %d", c.Len())
	}
	if _, err := NewCache(CacheConfig{MaxEntries: -1}); err == nil {
		t.Fatal("negative MaxEntries accepted")
	}
}
