package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/opencrm/crm/platform/audit"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

// APIKey describes a key without its secret.
type APIKey struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	User       string `json:"user"`
	Prefix     string `json:"prefix"` // the first characters of the key, to recognise it
	CreatedAt  string `json:"createdAt"`
	LastUsedAt string `json:"lastUsedAt,omitempty"`
}

// CreateAPIKey makes a key bound to a user of the tenant and returns it with
// the full key, which is never shown again.
func (s *Service) CreateAPIKey(ctx context.Context, tenantID, name, userID string) (APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return APIKey{}, "", errs.New(errs.Invalid, "apikey.invalid", "the key needs a name of 1 to 100 characters").
			WithField("name", "required", "must have 1 to 100 characters")
	}
	u, err := s.getUser(ctx, tenantID, userID)
	if err != nil || !u.Active {
		return APIKey{}, "", errs.New(errs.Invalid, "apikey.invalid", "the key's user does not exist or is inactive").
			WithField("user", "not_found", "no such active user")
	}
	keyID, secret := id.New(), id.Secret(32)
	full := "ck_" + tenantID + "_" + keyID + "_" + secret
	k := APIKey{ID: keyID, Name: name, User: userID, Prefix: full[:len("ck_")+len(tenantID)+8], CreatedAt: stamp(s.cfg.Now())}
	doc := store.Doc{"id": k.ID, "name": k.Name, "user": k.User, "prefix": k.Prefix, "createdAt": k.CreatedAt,
		"secretHash": hashSecret(secret)}
	if _, err := s.st.Insert(ctx, tenantID, apiKeysColl, doc); err != nil {
		return APIKey{}, "", fmt.Errorf("identity: create api key: %w", err)
	}
	s.record(ctx, tenantID, audit.Event{Kind: audit.KeyCreated, Target: keyID, Detail: map[string]any{"name": name, "user": userID}})
	return k, full, nil
}

// ListAPIKeys returns the tenant's keys, oldest first, without secrets.
func (s *Service) ListAPIKeys(ctx context.Context, tenantID string) ([]APIKey, error) {
	out := []APIKey{}
	q := store.Query{Limit: 500, Fields: []string{"name", "user", "prefix", "createdAt", "lastUsedAt"}}
	for {
		page, err := s.st.Find(ctx, tenantID, apiKeysColl, q)
		if err != nil {
			return nil, fmt.Errorf("identity: list api keys: %w", err)
		}
		for _, d := range page.Items {
			out = append(out, APIKey{ID: str(d, "id"), Name: str(d, "name"), User: str(d, "user"), Prefix: str(d, "prefix"),
				CreatedAt: str(d, "createdAt"), LastUsedAt: str(d, "lastUsedAt")})
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

// RevokeAPIKey deletes a key; it stops working at once on every node, since
// every request looks the key up.
func (s *Service) RevokeAPIKey(ctx context.Context, tenantID, keyID string) error {
	s.auth.drop(keyID)
	err := s.st.Delete(ctx, tenantID, apiKeysColl, keyID, 0)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
		return errs.New(errs.NotFound, "apikey.not_found", "no such API key")
	}
	if err != nil {
		return fmt.Errorf("identity: revoke api key: %w", err)
	}
	s.record(ctx, tenantID, audit.Event{Kind: audit.KeyRevoked, Target: keyID})
	return nil
}
