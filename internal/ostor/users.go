package ostor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"staas"
)

func validateRef(r UserRef, op string) error {
	switch {
	case r.Email() != "" && r.ID() != "":
		return invalid(op, "a user reference names either an email or an id")
	case r.ID() != "":
		return validUserID(op, r.ID())
	case r.Email() != "":
		return validEmail(op, r.Email())
	}
	return invalid(op, "user reference is empty: use ByEmail or ByID")
}

// addRef adds the selector parameter: emailAddress=E or id=I.
func addRef(r UserRef, q *query) *query {
	if r.ID() != "" {
		return q.set("id", r.ID())
	}
	return q.set("emailAddress", r.Email())
}

// CreateUser creates a user with one key pair.
//
// It is never retried blindly: a second PUT after a lost answer would meet
// "User already exists" although our first call created the user. Instead,
// after an ambiguous failure (connection error, time-out, 5xx) it asks the
// gateway for the user; if the user now exists, its keys (which a query
// returns) are returned as if the creation had answered. If the user does
// not exist the error is EUNAVAILABLE and the caller may try again. One
// window remains: a creation still in flight when the query runs; the next
// CreateUser then gets ECONFLICT and the caller finds the user with User.
func (c *Client) CreateUser(ctx context.Context, email string) (*UserKeys, error) {
	const op = "create user"
	if err := validEmail(op, email); err != nil {
		return nil, err
	}
	r := request{op: op, method: http.MethodPut, query: newQuery("users").set("emailAddress", email).String()}
	o, err := c.run(ctx, r, false)
	if err == nil {
		keys, err := DecodeUserKeys(bytes.NewReader(o.body))
		if err != nil {
			return nil, malformed(op, err)
		}
		if len(keys.Keys) == 0 {
			return nil, unexpected(op, "the answer has no key pair")
		}
		return keys, nil
	}
	if !ambiguous(o) || ctx.Err() != nil {
		return nil, err
	}
	u, qerr := c.User(ctx, ByEmail(email))
	switch {
	case qerr == nil:
		return &UserKeys{Email: u.Email, ID: u.ID, Keys: u.Keys}, nil
	case staas.ErrorCode(qerr) == staas.ENOTFOUND:
		return nil, unavailable(err, "the user was not created")
	default:
		return nil, unavailable(errors.Join(err, qerr), "whether the user was created is unknown")
	}
}

// unavailable reports a failed call that was not plainly refused, adding
// to the first error's admin-safe message what is known of its effect.
func unavailable(err error, note string) error {
	return &staas.Error{Code: staas.EUNAVAILABLE, Message: staas.ErrorMessage(err) + " " + strings.ToUpper(note[:1]) + note[1:] + ".", Err: err}
}

// ambiguous says whether a failed call may have taken effect on the
// gateway: the request may have arrived although no answer came back, or
// the gateway failed part-way (5xx).
func ambiguous(o outcome) bool {
	return o.err != nil || o.status >= 500
}

// Users lists all users (without keys). Both list shapes are accepted,
// see DecodeUsers.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	return c.users(ctx, "list users", newQuery("users"))
}

// UsersWithSpace lists all users with their space accounting in Space.
// The block is not documented; it is read as "SpaceStat" with
// LastTs/SizeCurr/SizeHMax/SizeHInt (a public client's names) or as
// "space" with a bucket's size names, and means what a bucket's size
// does (see Size).
func (c *Client) UsersWithSpace(ctx context.Context) ([]User, error) {
	return c.users(ctx, "list users with space", newQuery("users").flag("space"))
}

func (c *Client) users(ctx context.Context, op string, q *query) ([]User, error) {
	return getJSON(ctx, c, request{op: op, method: http.MethodGet, query: q.String(), idempotent: true}, DecodeUsers)
}

// User returns one user with its key pairs (secrets included) and accounts.
func (c *Client) User(ctx context.Context, ref UserRef) (*User, error) {
	const op = "get user"
	if err := validateRef(ref, op); err != nil {
		return nil, err
	}
	return getJSON(ctx, c, request{op: op, method: http.MethodGet, query: addRef(ref, newQuery("users")).String(), idempotent: true}, DecodeUser)
}

// DisableUser disables a user: its keys stop working, its data stays.
// Disabling twice is harmless, so the call is retried.
func (c *Client) DisableUser(ctx context.Context, email string) error {
	return c.userAction(ctx, "disable user", email, "disable")
}

// EnableUser enables a disabled user.
func (c *Client) EnableUser(ctx context.Context, email string) error {
	return c.userAction(ctx, "enable user", email, "enable")
}

func (c *Client) userAction(ctx context.Context, op, email, action string) error {
	if err := validEmail(op, email); err != nil {
		return err
	}
	q := newQuery("users").set("emailAddress", email).flag(action)
	_, err := c.do(ctx, request{op: op, method: http.MethodPost, query: q.String(), idempotent: true})
	return err
}

// DeleteUser deletes a user. A user who owns buckets cannot be deleted:
// that is ECONFLICT. Deleting is retried; a 404 after an attempt whose
// answer was lost counts as success, because that attempt may well have
// deleted the user, and the caller's goal (no such user) is met.
func (c *Client) DeleteUser(ctx context.Context, ref UserRef) error {
	const op = "delete user"
	if err := validateRef(ref, op); err != nil {
		return err
	}
	_, err := c.do(ctx, request{
		op: op, method: http.MethodDelete, query: addRef(ref, newQuery("users")).String(),
		idempotent: true, goneIsDone: true, on400: staas.ECONFLICT,
	})
	return err
}

// GenerateKey creates a new key pair for a user and returns it. A user has
// at most two pairs; a third is EKEYLIMIT.
//
// The guide's answer holds the new pair only, but a gateway may list all
// of the user's pairs, in any order. So the user's pairs are read first and
// the pair returned is the one that was not there before; an answer with no
// new pair, or several, is EINTERNAL rather than a guess (a wrong guess
// would hand the customer a secret that is not the new key's).
//
// It is not retried: if an answer is lost, a retry would create a second
// pair (or fail on the limit). Instead the user's pairs are read again: one
// new pair is the one created and is returned; none means nothing was
// created (EUNAVAILABLE, safe to try again); otherwise EUNAVAILABLE says a
// pair may have been created and the keys must be checked.
func (c *Client) GenerateKey(ctx context.Context, email string) (*KeyPair, error) {
	const op = "generate key"
	if err := validEmail(op, email); err != nil {
		return nil, err
	}
	q := newQuery("users").set("emailAddress", email).flag("genKey")
	return c.generateKey(ctx, op, q, func(ctx context.Context) ([]KeyPair, error) {
		u, err := c.User(ctx, ByEmail(email))
		if err != nil {
			return nil, err
		}
		return u.Keys, nil
	})
}

// generateKey sends the genKey request q and picks the new pair by comparing
// the answer with what keys reports before (and, after a lost answer,
// after) the request.
func (c *Client) generateKey(ctx context.Context, op string, q *query, keys func(context.Context) ([]KeyPair, error)) (*KeyPair, error) {
	before, err := keys(ctx)
	if err != nil {
		return nil, err
	}
	o, err := c.run(ctx, request{op: op, method: http.MethodPost, query: q.String(), on400: staas.EKEYLIMIT, on409: staas.EKEYLIMIT}, false)
	if err != nil {
		if !ambiguous(o) || ctx.Err() != nil {
			return nil, err
		}
		after, qerr := keys(ctx)
		if qerr != nil {
			return nil, unavailable(errors.Join(err, qerr), "a key pair may have been created: check the keys")
		}
		switch added := newPairs(before, after); len(added) {
		case 1:
			return &added[0], nil
		case 0:
			return nil, unavailable(err, "no key pair was created")
		default:
			return nil, unavailable(err, "a key pair may have been created: check the keys")
		}
	}
	answer, err := DecodeUserKeys(bytes.NewReader(o.body))
	if err != nil {
		return nil, malformed(op, err)
	}
	switch added := newPairs(before, answer.Keys); len(added) {
	case 1:
		return &added[0], nil
	case 0:
		return nil, unexpected(op, "the answer holds no new key pair")
	default:
		return nil, unexpected(op, "the answer holds %d new key pairs (another client generated one meanwhile?): check the keys", len(added))
	}
}

// newPairs returns the pairs of now whose access key id is not in before.
func newPairs(before, now []KeyPair) []KeyPair {
	var added []KeyPair
	for _, k := range now {
		if !slices.ContainsFunc(before, func(b KeyPair) bool { return b.AccessKeyID == k.AccessKeyID }) {
			added = append(added, k)
		}
	}
	return added
}

// RevokeKey deletes one of a user's key pairs. It is retried; a 404 after
// an attempt whose answer was lost counts as success (see DeleteUser).
func (c *Client) RevokeKey(ctx context.Context, email, accessKeyID string) error {
	const op = "revoke key"
	if err := validEmail(op, email); err != nil {
		return err
	}
	if err := validAccessKeyID(op, accessKeyID); err != nil {
		return err
	}
	q := newQuery("users").set("emailAddress", email).set("revokeKey", accessKeyID)
	_, err := c.do(ctx, request{op: op, method: http.MethodPost, query: q.String(), idempotent: true, goneIsDone: true})
	return err
}

// malformed reports an answer that did not decode: the gateway said yes
// but not in the documented shape.
func malformed(op string, err error) error {
	return &staas.Error{Code: staas.EINTERNAL, Message: Sentence(op, staas.EINTERNAL), Err: fmt.Errorf("ostor: %s: malformed answer: %w", op, err)}
}

// getJSON runs a read call and decodes its answer; an answer that does not
// decode is a malformed one, whatever its status.
func getJSON[T any](ctx context.Context, c *Client, r request, decode func(io.Reader) (T, error)) (T, error) {
	body, err := c.do(ctx, r)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := decode(bytes.NewReader(body))
	if err != nil {
		var zero T
		return zero, malformed(r.op, err)
	}
	return v, nil
}
