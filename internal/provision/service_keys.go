package provision

import (
	"context"
	"fmt"

	"staas"
)

// The client area's key buttons on a service (generate, revoke, reveal),
// which the client who owns the service, WHMCS or an admin may use.

// allowService checks that a may use a service's key actions: the client
// who owns the service (as WHMCS says: ref.ClientID), WHMCS itself, or an
// admin with the permission on that client's page.
func allowService(a Actor, ref ServiceRef, permission string) error {
	if err := ref.check(); err != nil {
		return err
	}
	switch a.Kind {
	case ActorClient:
		if a.ClientID <= 0 {
			return staas.Errorf(staas.EUNAUTHORIZED, "No WHMCS client is logged in.")
		}
	case ActorWHMCS:
		return nil
	default:
		if err := allow(a, permission); err != nil {
			return err
		}
	}
	if a.ClientID != ref.ClientID {
		return staas.Errorf(staas.EFORBIDDEN, "This service belongs to another client.")
	}
	return nil
}

// serviceActor is the actor as the audit log records it: on the
// service's client.
func serviceActor(a Actor, ref ServiceRef) Actor {
	if a.Kind == ActorWHMCS {
		a.ClientID = ref.ClientID
	}
	return a
}

// ServiceGenerateKey adds a key pair to the service's S3 user and the
// guide's note for it (the client's "Generate key" button). ostor allows
// two pairs per user.
func (s *Lifecycle) ServiceGenerateKey(ctx context.Context, a Actor, ref ServiceRef) (*staas.KeyPair, error) {
	if err := allowService(a, ref, change); err != nil {
		return nil, err
	}
	a = serviceActor(a, ref)
	params := ref.params()
	key, msg, err := func() (*staas.KeyPair, string, error) {
		m, err := s.mappedService(ctx, ref, noUserYet)
		if err != nil {
			return nil, "", err
		}
		params["user_id"] = m.UserID
		key, err := s.generateKey(ctx, a, m)
		if key != nil {
			params["access_key"] = key.AccessKeyID
		}
		if err != nil {
			return key, "", err
		}
		return key, fmt.Sprintf("Access key %s generated for S3 user %s.", key.Label(), m.UserID), nil
	}()
	s.record(ctx, a, "service-generate-key", params, err, msg)
	return key, err
}

// ServiceRevokeKey revokes one of the service's key pairs and removes its
// note. The key must be the service's user's own.
func (s *Lifecycle) ServiceRevokeKey(ctx context.Context, a Actor, ref ServiceRef, accessKeyID string) error {
	if err := allowService(a, ref, change); err != nil {
		return err
	}
	a = serviceActor(a, ref)
	params := ref.params()
	params["access_key"] = cut(accessKeyID)
	msg, err := func() (string, error) {
		m, u, err := s.serviceKey(ctx, ref, accessKeyID)
		if err != nil {
			return "", err
		}
		params["user_id"] = m.UserID
		label := u.Keys[keyIndex(u.Keys, accessKeyID)].Label()
		if err := s.revokeKey(ctx, a, m, u, accessKeyID); err != nil {
			return "", err
		}
		msg := fmt.Sprintf("Access key %s of S3 user %s revoked.", label, m.UserID)
		if len(u.Keys) == 1 {
			msg += " The user has no key pair left: generate one to use the storage."
		}
		return msg, nil
	}()
	s.record(ctx, a, "service-revoke-key", params, err, msg)
	return err
}

// ServiceRevealSecret returns the secret of one of the service's key
// pairs, read from the gateway. The reveal is audited (never the secret),
// and recorded before the secret is handed out: when the audit row cannot
// be written, the secret is not revealed.
func (s *Lifecycle) ServiceRevealSecret(ctx context.Context, a Actor, ref ServiceRef, accessKeyID string) (string, error) {
	if err := allowService(a, ref, view); err != nil {
		return "", err
	}
	a = serviceActor(a, ref)
	params := ref.params()
	params["access_key"] = cut(accessKeyID)
	m, u, err := s.serviceKey(ctx, ref, accessKeyID)
	if err != nil {
		s.record(ctx, a, "service-reveal-secret", params, err, "")
		return "", err
	}
	params["user_id"] = m.UserID
	id, err := s.begin(ctx, a, "service-reveal-secret", params)
	if err != nil {
		return "", err
	}
	k := u.Keys[keyIndex(u.Keys, accessKeyID)]
	s.finish(ctx, a, id, "service-reveal-secret", nil, fmt.Sprintf("The secret of access key %s of S3 user %s was shown.", k.Label(), m.UserID))
	return k.SecretAccessKey, nil
}

// serviceKey returns the service's mapping and gateway user, checking
// that accessKeyID is one of its key pairs: a key of another user, picked
// on this service's page, is refused.
func (s *core) serviceKey(ctx context.Context, ref ServiceRef, accessKeyID string) (*staas.S3User, *staas.StorageUser, error) {
	if accessKeyID == "" {
		return nil, nil, fieldsError(FieldErrors{"access_key": "Pick an access key."})
	}
	m, err := s.mappedService(ctx, ref, noUserYet)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.at(m.Cluster).User(ctx, staas.ByID(m.UserID))
	if err != nil {
		return nil, nil, err
	}
	if keyIndex(u.Keys, accessKeyID) < 0 {
		return nil, nil, staas.Errorf(staas.ENOTFOUND, "The S3 user %s of this service has no access key %s.", m.UserID, cut(accessKeyID))
	}
	return m, u, nil
}
