package identity

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/opencrm/crm/platform/audit"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
	"time"
)

// User is a person who signs in to a tenant. The password hash never leaves
// this package.
type User struct {
	ID        string   `json:"id"`
	Email     string   `json:"email"`
	Name      string   `json:"name"`
	Roles     []string `json:"roles"`
	Manager   string   `json:"manager,omitempty"`
	Active    bool     `json:"active"`
	CreatedAt string   `json:"createdAt"`
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Email    string   `json:"email"`
	Password string   `json:"password"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	Manager  string   `json:"manager"`
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// CreateUser adds a user to a tenant. The email is unique in the tenant
// (case-insensitively); the manager, when given, must be a user of the tenant.
func (s *Service) CreateUser(ctx context.Context, tenantID string, in NewUser) (User, error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	bad := errs.New(errs.Invalid, "user.invalid", "the user is invalid")
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		bad = bad.WithField("email", "format", "must be an email address")
	}
	if utf8.RuneCountInString(in.Password) < MinPasswordLength {
		bad = bad.WithField("password", "min_length", fmt.Sprintf("must have at least %d characters", MinPasswordLength))
	}
	if len(in.Password) > 1024 {
		bad = bad.WithField("password", "max_length", "must have at most 1024 bytes")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = email
	}
	if utf8.RuneCountInString(name) > 200 {
		bad = bad.WithField("name", "max_length", "must have at most 200 characters")
	}
	for _, r := range in.Roles {
		if !validRoleName(r) {
			bad = bad.WithField("roles", "pattern", fmt.Sprintf("role %q is not a valid role name", r))
		}
	}
	if len(bad.Fields) > 0 {
		bad.Message = fmt.Sprintf("%d fields are invalid", len(bad.Fields))
		return User{}, bad
	}
	if in.Manager != "" {
		if _, err := s.getUser(ctx, tenantID, in.Manager); err != nil {
			return User{}, errs.New(errs.Invalid, "user.invalid", "the manager does not exist").
				WithField("manager", "not_found", "no such user")
		}
	}
	roles := in.Roles
	if roles == nil {
		roles = []string{}
	}
	u := User{ID: id.New(), Email: email, Name: name, Roles: roles, Manager: in.Manager, Active: true,
		CreatedAt: stamp(s.cfg.Now())}
	doc := userDoc(u)
	doc["passwordHash"] = s.cfg.Argon2.hashPassword(in.Password)
	if _, err := s.st.Insert(ctx, tenantID, usersColl, doc); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return User{}, errs.New(errs.Conflict, "user.exists", "a user with this email exists already").
				WithField("email", "duplicate", "email is taken")
		}
		return User{}, fmt.Errorf("identity: create user: %w", err)
	}
	s.record(ctx, tenantID, audit.Event{Kind: audit.UserCreated, Target: u.ID, Detail: map[string]any{"email": u.Email, "roles": toAnyList(u.Roles)}})
	return u, nil
}

// GetUser returns a user of the tenant.
//
// Answers are kept for Config.AuthCacheTTL (a second by default), like
// authenticated credentials: the record service asks for the owner of
// every write that names one. A change made on this node is seen at once;
// one made on another node within the TTL.
func (s *Service) GetUser(ctx context.Context, tenantID, userID string) (User, error) {
	key := tenantID + "/" + userID
	now := s.cfg.Now()
	s.usersMu.Lock()
	e, ok := s.users[key]
	s.usersMu.Unlock()
	if ok && now.Sub(e.at) < s.cfg.AuthCacheTTL {
		return e.user, nil
	}
	u, err := s.getUser(ctx, tenantID, userID)
	if err != nil {
		return u, err
	}
	s.usersMu.Lock()
	if len(s.users) >= 100_000 {
		clear(s.users)
	}
	s.users[key] = cachedUser{user: u, at: now}
	s.usersMu.Unlock()
	return u, nil
}

// cachedUser is a GetUser answer and when it was read.
type cachedUser struct {
	user User
	at   time.Time
}

// forgetUser drops a changed user's cached answer.
func (s *Service) forgetUser(tenantID, userID string) {
	s.usersMu.Lock()
	delete(s.users, tenantID+"/"+userID)
	s.usersMu.Unlock()
}

func (s *Service) getUser(ctx context.Context, tenantID, userID string) (User, error) {
	doc, err := s.st.Get(ctx, tenantID, usersColl, userID, nil)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
			return User{}, errs.New(errs.NotFound, "user.not_found", "no such user")
		}
		return User{}, fmt.Errorf("identity: get user: %w", err)
	}
	return userFromDoc(doc), nil
}

// ListUsers returns the tenant's users in email order.
func (s *Service) ListUsers(ctx context.Context, tenantID string) ([]User, error) {
	out := []User{}
	q := store.Query{Sort: []store.SortKey{{Field: "email"}}, Limit: 500, Fields: []string{"email", "name", "roles", "manager", "active", "createdAt"}}
	for {
		page, err := s.st.Find(ctx, tenantID, usersColl, q)
		if err != nil {
			return nil, fmt.Errorf("identity: list users: %w", err)
		}
		for _, d := range page.Items {
			out = append(out, userFromDoc(d))
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

func (s *Service) userByEmail(ctx context.Context, tenantID, email string) (store.Doc, bool, error) {
	page, err := s.st.Find(ctx, tenantID, usersColl, store.Query{Filter: store.Eq("email", strings.ToLower(strings.TrimSpace(email))), Limit: 1})
	if err != nil {
		return nil, false, fmt.Errorf("identity: find user: %w", err)
	}
	if len(page.Items) == 0 {
		return nil, false, nil
	}
	return page.Items[0], true, nil
}

func validRoleName(r string) bool {
	if r == "" || len(r) > 40 || r[0] < 'a' || r[0] > 'z' {
		return false
	}
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func userDoc(u User) store.Doc {
	roles := make([]any, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = r
	}
	d := store.Doc{"id": u.ID, "email": u.Email, "name": u.Name, "roles": roles, "active": u.Active, "createdAt": u.CreatedAt}
	if u.Manager != "" {
		d["manager"] = u.Manager
	}
	return d
}

func userFromDoc(d store.Doc) User {
	u := User{ID: str(d, "id"), Email: str(d, "email"), Name: str(d, "name"), Manager: str(d, "manager"),
		CreatedAt: str(d, "createdAt"), Roles: []string{}}
	u.Active, _ = d["active"].(bool)
	if rs, ok := d["roles"].([]any); ok {
		for _, r := range rs {
			if s, ok := r.(string); ok {
				u.Roles = append(u.Roles, s)
			}
		}
	}
	return u
}

// UserPatch changes a user; nil members stay as they are.
type UserPatch struct {
	Name     *string   `json:"name"`
	Roles    *[]string `json:"roles"`
	Manager  *string   `json:"manager"` // "" removes the manager
	Password *string   `json:"password"`
	Active   *bool     `json:"active"`
}

// UpdateUser changes a user's name, roles, manager, password or active flag.
// A manager must be another user of the tenant, and the manager chain may not
// loop. The change applies to the user's credentials at once on this node.
func (s *Service) UpdateUser(ctx context.Context, tenantID, userID string, in UserPatch) (User, error) {
	doc, err := s.st.Get(ctx, tenantID, usersColl, userID, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
		return User{}, errs.New(errs.NotFound, "user.not_found", "no such user")
	}
	if err != nil {
		return User{}, fmt.Errorf("identity: update user: %w", err)
	}
	bad := errs.New(errs.Invalid, "user.invalid", "the change is invalid")
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || utf8.RuneCountInString(n) > 200 {
			bad = bad.WithField("name", "length", "must have 1 to 200 characters")
		}
		doc["name"] = n
	}
	if in.Roles != nil {
		roles := make([]any, 0, len(*in.Roles))
		for _, r := range *in.Roles {
			if !validRoleName(r) {
				bad = bad.WithField("roles", "pattern", fmt.Sprintf("role %q is not a valid role name", r))
			}
			roles = append(roles, r)
		}
		doc["roles"] = roles
	}
	if in.Password != nil {
		if utf8.RuneCountInString(*in.Password) < MinPasswordLength || len(*in.Password) > 1024 {
			bad = bad.WithField("password", "length", fmt.Sprintf("must have at least %d characters", MinPasswordLength))
		} else {
			doc["passwordHash"] = s.cfg.Argon2.hashPassword(*in.Password)
		}
	}
	if in.Active != nil {
		doc["active"] = *in.Active
	}
	if in.Manager != nil {
		switch m := *in.Manager; {
		case m == "":
			delete(doc, "manager")
		case m == userID:
			bad = bad.WithField("manager", "cycle", "a user cannot be their own manager")
		default:
			if err := s.checkChain(ctx, tenantID, userID, m); err != nil {
				bad = bad.WithField("manager", "invalid", err.Error())
			}
			doc["manager"] = m
		}
	}
	if len(bad.Fields) > 0 {
		bad.Message = bad.Fields[0].Field + " " + bad.Fields[0].Message
		return User{}, bad
	}
	saved, err := s.st.Update(ctx, tenantID, usersColl, doc, 0)
	if err != nil {
		return User{}, fmt.Errorf("identity: update user: %w", err)
	}
	s.auth.dropUser(tenantID, userID)
	s.forgetUser(tenantID, userID)
	changed := map[string]any{}
	if in.Name != nil {
		changed["name"] = *in.Name
	}
	if in.Roles != nil {
		changed["roles"] = toAnyList(*in.Roles)
	}
	if in.Manager != nil {
		changed["manager"] = *in.Manager
	}
	if in.Active != nil {
		changed["active"] = *in.Active
	}
	if in.Password != nil {
		changed["password"] = "changed"
	}
	s.record(ctx, tenantID, audit.Event{Kind: audit.UserChanged, Target: userID, Detail: changed})
	return userFromDoc(saved), nil
}

// checkChain refuses a manager that does not exist or whose own chain leads
// back to the user.
func (s *Service) checkChain(ctx context.Context, tenantID, userID, manager string) error {
	seen := map[string]bool{userID: true}
	for cur := manager; cur != ""; {
		if seen[cur] {
			return errors.New("the manager chain would loop back to this user")
		}
		seen[cur] = true
		u, err := s.getUser(ctx, tenantID, cur)
		if err != nil {
			return errors.New("no such user: " + cur)
		}
		cur = u.Manager
		if len(seen) > 1000 {
			return errors.New("the manager chain is too long")
		}
	}
	return nil
}

// DeactivateUser stops a user from signing in and invalidates their
// credentials; their records keep them as owner.
func (s *Service) DeactivateUser(ctx context.Context, tenantID, userID string) error {
	f := false
	_, err := s.UpdateUser(ctx, tenantID, userID, UserPatch{Active: &f})
	return err
}

func toAnyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
