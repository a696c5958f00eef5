package sharing

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// trees caches each tenant's manager tree. Users carry no change counter,
// so a tree lives for a short TTL and is then read again; the first caller
// after expiry reads it while the others wait for that read.
type trees struct {
	users Users
	ttl   time.Duration
	now   func() time.Time

	mu sync.Mutex
	m  map[string]*slot
}

// slot is one tenant's current tree and the lock of its loader.
type slot struct {
	load sync.Mutex
	cur  atomic.Pointer[tenantTree]
}

// tenantTree is one reading of a tenant's users; never changed after it is
// made, but for its memo of teams.
type tenantTree struct {
	loadedAt time.Time
	reports  map[string][]string // manager id -> direct reports
	teams    sync.Map            // user id -> []any: the user and everyone below
}

func newTrees(users Users, ttl time.Duration, now func() time.Time) *trees {
	return &trees{users: users, ttl: ttl, now: now, m: map[string]*slot{}}
}

// team returns the user's id and the ids of every user below them in the
// manager chain (deactivated users included: their records keep their
// owner), sorted, as the values of an IN filter.
func (t *trees) team(ctx context.Context, tenant, user string) ([]any, error) {
	tt, err := t.tree(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if v, ok := tt.teams.Load(user); ok {
		return v.([]any), nil
	}
	seen := map[string]bool{user: true}
	queue := []string{user}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, r := range tt.reports[u] {
			if !seen[r] { // a cycle of managers ends here
				seen[r] = true
				queue = append(queue, r)
			}
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	tt.teams.Store(user, out)
	return out, nil
}

func (t *trees) tree(ctx context.Context, tenant string) (*tenantTree, error) {
	t.mu.Lock()
	sl := t.m[tenant]
	if sl == nil {
		sl = &slot{}
		t.m[tenant] = sl
	}
	t.mu.Unlock()
	if cur := sl.cur.Load(); cur != nil && t.now().Sub(cur.loadedAt) < t.ttl {
		return cur, nil
	}
	sl.load.Lock()
	defer sl.load.Unlock()
	if cur := sl.cur.Load(); cur != nil && t.now().Sub(cur.loadedAt) < t.ttl {
		return cur, nil // loaded by the caller we waited for
	}
	users, err := t.users.ListUsers(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("sharing: load the manager tree: %w", err)
	}
	next := &tenantTree{loadedAt: t.now(), reports: map[string][]string{}}
	for _, u := range users {
		if u.Manager != "" && u.Manager != u.ID {
			next.reports[u.Manager] = append(next.reports[u.Manager], u.ID)
		}
	}
	sl.cur.Store(next)
	return next, nil
}
