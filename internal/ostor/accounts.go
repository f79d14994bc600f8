package ostor

import (
	"bytes"
	"context"
	"errors"
	"net/http"

	"staas"
)

// CreateAccount creates a sub-account of a user and returns it with its
// first key pair. Like CreateUser it is not retried blindly: after an
// ambiguous failure it looks the account up in the user's query answer.
func (c *Client) CreateAccount(ctx context.Context, email, name string) (*Account, error) {
	const op = "create account"
	if err := validAccount(op, email, name); err != nil {
		return nil, err
	}
	q := newQuery("accounts").set("emailAddress", email).set("accountName", name)
	o, err := c.run(ctx, request{op: op, method: http.MethodPost, query: q.String()}, false)
	if err == nil {
		a, err := DecodeAccount(bytes.NewReader(o.body))
		if err != nil {
			return nil, malformed(op, err)
		}
		return a, nil
	}
	if !ambiguous(o) || ctx.Err() != nil {
		return nil, err
	}
	u, qerr := c.User(ctx, ByEmail(email))
	if qerr == nil {
		for _, a := range u.Accounts {
			if a.Name == name {
				return &a, nil
			}
		}
		return nil, unavailable(err, "the account was not created")
	}
	return nil, unavailable(errors.Join(err, qerr), "whether the account was created is unknown")
}

// DeleteAccount deletes a sub-account. It is retried; a 404 after an
// attempt whose answer was lost counts as success (see DeleteUser).
func (c *Client) DeleteAccount(ctx context.Context, email, name string) error {
	const op = "delete account"
	if err := validAccount(op, email, name); err != nil {
		return err
	}
	q := newQuery("accounts").set("emailAddress", email).set("accountName", name)
	_, err := c.do(ctx, request{op: op, method: http.MethodDelete, query: q.String(), idempotent: true, goneIsDone: true})
	return err
}

// GenerateAccountKey creates a key pair for a sub-account and returns the
// pair that was not there before, as GenerateKey does; not retried, for the
// reason given there.
func (c *Client) GenerateAccountKey(ctx context.Context, email, name string) (*KeyPair, error) {
	const op = "generate account key"
	if err := validAccount(op, email, name); err != nil {
		return nil, err
	}
	q := newQuery("users").set("emailAddress", email).set("accountName", name).flag("genKey")
	return c.generateKey(ctx, op, q, func(ctx context.Context) ([]KeyPair, error) {
		u, err := c.User(ctx, ByEmail(email))
		if err != nil {
			return nil, err
		}
		for _, a := range u.Accounts {
			if a.Name == name {
				return a.Keys, nil
			}
		}
		return nil, staas.Errorf(staas.ENOTFOUND, "ostor: %s: user %s has no account %q", op, email, name)
	})
}

// RevokeAccountKey deletes one of a sub-account's key pairs; retried like
// RevokeKey.
func (c *Client) RevokeAccountKey(ctx context.Context, email, name, accessKeyID string) error {
	const op = "revoke account key"
	if err := validAccount(op, email, name); err != nil {
		return err
	}
	if err := validAccessKeyID(op, accessKeyID); err != nil {
		return err
	}
	q := newQuery("users").set("emailAddress", email).set("accountName", name).set("revokeKey", accessKeyID)
	_, err := c.do(ctx, request{op: op, method: http.MethodPost, query: q.String(), idempotent: true, goneIsDone: true})
	return err
}

// validAccount checks the owner's email and the account's name.
func validAccount(op, email, name string) error {
	if err := validEmail(op, email); err != nil {
		return err
	}
	return validAccountName(op, name)
}
