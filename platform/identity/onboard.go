package identity

import (
	"context"
	"fmt"

	"github.com/opencrm/crm/platform/tenant"
)

// Onboarded is what Onboard made.
type Onboarded struct {
	Tenant tenant.Tenant `json:"tenant"`
	Admin  User          `json:"admin"`
	APIKey string        `json:"apiKey"`
}

// Provisioner prepares a new tenant's data for one part of the platform (the
// metadata collections, the standard objects…). Onboard calls each in order.
type Provisioner func(ctx context.Context, tenantID string) error

// Onboard creates a tenant with its admin user and first API key. It is all
// or nothing: the tenant is registered as provisioning (so its name is taken
// and nobody can sign in), provisioned, given its admin and key, and only
// then made active; any failure removes everything it made.
func (s *Service) Onboard(ctx context.Context, name string, admin NewUser, provisioners ...Provisioner) (Onboarded, error) {
	admin.Roles = []string{AdminRole}
	admin.Manager = ""
	t, err := s.tenants.Register(ctx, name)
	if err != nil {
		return Onboarded{}, err
	}
	out, err := s.provision(ctx, t, admin, provisioners)
	if err != nil {
		// NB: use a context that is not cancelled, so the clean-up runs even
		// when the request that asked for the tenant has gone away.
		if rmErr := s.tenants.Remove(context.WithoutCancel(ctx), t.ID); rmErr != nil {
			return Onboarded{}, fmt.Errorf("identity: onboard %s failed (%w) and so did the clean-up: %v", name, err, rmErr)
		}
		return Onboarded{}, err
	}
	return out, nil
}

func (s *Service) provision(ctx context.Context, t tenant.Tenant, admin NewUser, provisioners []Provisioner) (Onboarded, error) {
	if err := s.Provision(ctx, t.ID); err != nil {
		return Onboarded{}, err
	}
	for _, p := range provisioners {
		if err := p(ctx, t.ID); err != nil {
			return Onboarded{}, err
		}
	}
	u, err := s.CreateUser(ctx, t.ID, admin)
	if err != nil {
		return Onboarded{}, err
	}
	_, key, err := s.CreateAPIKey(ctx, t.ID, "initial admin key", u.ID)
	if err != nil {
		return Onboarded{}, err
	}
	t, err = s.tenants.SetStatus(ctx, t.ID, tenant.StatusActive)
	if err != nil {
		return Onboarded{}, err
	}
	return Onboarded{Tenant: t, Admin: u, APIKey: key}, nil
}
