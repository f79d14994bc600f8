package provision

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"staas"
	"staas/internal/ostor"
	"staas/internal/store"
)

// CreateUser creates the client's S3 user with the client's WHMCS email,
// records the mapping and adds the guide's note with the first key pair.
//
// A user that already exists on the cluster with that email and belongs
// to no other client is linked rather than refused, so an admin can finish
// a creation whose answer was lost. A user mapped to another client is
// never taken over.
func (s *Service) CreateUser(ctx context.Context, a Actor) (*staas.S3User, error) {
	if err := allow(a, change); err != nil {
		return nil, err
	}
	if u, err := s.store.S3User(ctx, a.ClientID, 0); err == nil {
		return nil, staas.Errorf(staas.ECONFLICT, "This client already has the S3 user %s (%s).", u.UserID, u.Email)
	} else if staas.ErrorCode(err) != staas.ENOTFOUND {
		return nil, err
	}
	client, err := s.whmcs.Client(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	if client.Email == "" {
		return nil, staas.Errorf(staas.EINVALID, "WHMCS client %d has no email address; an S3 user is named by one.", a.ClientID)
	}

	var userID string
	var first *ostor.KeyPair
	created, err := s.gw.CreateUser(ctx, client.Email)
	switch {
	case err == nil:
		userID = created.ID
		if len(created.Keys) > 0 {
			first = &created.Keys[0]
		}
	case staas.ErrorCode(err) == staas.ECONFLICT:
		existing, lerr := s.gw.User(ctx, ostor.ByEmail(client.Email))
		if lerr != nil {
			return nil, err
		}
		if other, oerr := s.store.S3UserByUserID(ctx, s.cluster, existing.ID); oerr == nil && other.ClientID != a.ClientID {
			return nil, staas.Errorf(staas.ECONFLICT, "The S3 user %s with email %s belongs to WHMCS client %d.", existing.ID, client.Email, other.ClientID)
		} else if oerr != nil && staas.ErrorCode(oerr) != staas.ENOTFOUND {
			return nil, oerr
		}
		userID = existing.ID
	default:
		return nil, err
	}

	now := s.now().UTC()
	m := staas.S3User{ClientID: a.ClientID, Cluster: s.cluster, UserID: userID, Email: client.Email, CreatedAt: now, UpdatedAt: now}
	if err := s.store.SaveS3User(ctx, m); err != nil {
		return nil, fmt.Errorf("S3 user %s was created but its mapping was not saved: %w", userID, err)
	}
	if first == nil {
		s.Info(ctx, a, fmt.Sprintf("The S3 user %s already existed on the cluster and is now linked to this client; no note was added because its secret is not new.", userID))
		return &m, nil
	}
	if err := s.addNote(ctx, a, staas.S3Note{UserID: userID, AccessKeyID: first.AccessKeyID, SecretAccessKey: first.SecretAccessKey}); err != nil {
		return &m, partial(fmt.Sprintf("S3 user %s was created, but the WHMCS note could not be written", userID), err)
	}
	return &m, nil
}

// partial reports an action whose gateway part succeeded and whose WHMCS
// part failed: the admin must learn both.
func partial(done string, err error) error {
	return &staas.Error{Code: staas.ErrorCode(err), Message: done + ": " + staas.ErrorMessage(err), Err: err}
}

// DeleteUser deletes the client's S3 user, its notes and its mapping. It
// refuses, listing them, while the user owns buckets: deleting data is not
// something a click on a client page should do.
func (s *Service) DeleteUser(ctx context.Context, a Actor) (*staas.S3User, error) {
	if err := allow(a, change); err != nil {
		return nil, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	buckets, err := s.bucketsOf(ctx, m)
	if err != nil {
		return nil, err
	}
	if len(buckets) > 0 {
		return nil, staas.Errorf(staas.ECONFLICT, "The S3 user %s still owns %d bucket(s): %s. Empty and delete them first.",
			m.UserID, len(buckets), bucketNames(buckets))
	}
	if err := s.gw.DeleteUser(ctx, ostor.ByID(m.UserID)); err != nil && staas.ErrorCode(err) != staas.ENOTFOUND {
		return nil, err
	}
	s.forgetUsers()
	// Notes before the mapping, as Terminate does: while the mapping is
	// there, a second Delete User finds the user (gone from the gateway
	// is fine) and tries the notes again.
	if err := s.removeNotes(ctx, a, m.UserID, ""); err != nil {
		return m, partial(fmt.Sprintf("S3 user %s was deleted, but its WHMCS notes could not be removed; Delete User again to retry", m.UserID), err)
	}
	if err := s.store.DeleteS3User(ctx, a.ClientID, 0); err != nil {
		return nil, fmt.Errorf("S3 user %s was deleted but its mapping was not removed: %w", m.UserID, err)
	}
	return m, nil
}

// removeNotes removes notes and tells the admin when WHMCS's API cannot.
// While WHMCS is unreachable, or earlier changes of the client's notes
// still wait in the outbox, the removal is queued instead (see addNote).
func (s *Service) removeNotes(ctx context.Context, a Actor, userID, accessKeyID string) error {
	if s.queueing(ctx, a.ClientID) {
		return s.enqueue(ctx, a, store.NoteRemove, userID, accessKeyID, nil)
	}
	_, manual, err := s.whmcs.RemoveS3Notes(ctx, a.ClientID, a.Admin.ID, userID, accessKeyID)
	if staas.ErrorCode(err) == staas.EUNAVAILABLE {
		return s.enqueue(ctx, a, store.NoteRemove, userID, accessKeyID, err)
	}
	if err != nil {
		return err
	}
	if manual {
		s.Info(ctx, a, "The WHMCS API cannot delete notes: a note now says which S3 note to delete by hand.")
	}
	return nil
}

// EnableUser enables the client's S3 user.
func (s *Service) EnableUser(ctx context.Context, a Actor) (*staas.S3User, error) {
	return s.setEnabled(ctx, a, true)
}

// DisableUser disables the client's S3 user: its keys stop working, its
// data stays.
func (s *Service) DisableUser(ctx context.Context, a Actor) (*staas.S3User, error) {
	return s.setEnabled(ctx, a, false)
}

func (s *Service) setEnabled(ctx context.Context, a Actor, on bool) (*staas.S3User, error) {
	if err := allow(a, change); err != nil {
		return nil, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	if on {
		err = s.gw.EnableUser(ctx, m.Email)
	} else {
		err = s.gw.DisableUser(ctx, m.Email)
	}
	if err != nil {
		return nil, err
	}
	s.forgetUsers()
	return m, nil
}

// GenerateKey adds a key pair to the client's S3 user and the guide's note
// for it. ostor allows two pairs per user; a third is refused with a
// message saying so.
func (s *Service) GenerateKey(ctx context.Context, a Actor) (*ostor.KeyPair, error) {
	if err := allow(a, change); err != nil {
		return nil, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	return s.generateKey(ctx, a, m)
}

// generateKey adds a key pair to m's user and writes the guide's note for
// it on a's client; the client's Generate key and the service's share it.
// A third pair is refused with a message saying why. When only the note
// failed, the key is returned with the error.
func (s *Service) generateKey(ctx context.Context, a Actor, m *staas.S3User) (*ostor.KeyPair, error) {
	key, err := s.gw.GenerateKey(ctx, m.Email)
	if staas.ErrorCode(err) == staas.EKEYLIMIT {
		return nil, staas.Errorf(staas.EKEYLIMIT, "The S3 user %s already has two access key pairs, the most ostor allows. Revoke one first.", m.UserID)
	}
	if err != nil {
		return nil, err
	}
	s.forgetUsers()
	if err := s.addNote(ctx, a, staas.S3Note{UserID: m.UserID, AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}); err != nil {
		return key, partial(fmt.Sprintf("Access key %s was generated, but the WHMCS note could not be written", key.AccessKeyID), err)
	}
	return key, nil
}

// RevokeKey revokes the key pair the admin picked and removes its note. The
// key must belong to the client's user: an access key id from another
// client's page is refused.
func (s *Service) RevokeKey(ctx context.Context, a Actor, accessKeyID string) error {
	if err := allow(a, change); err != nil {
		return err
	}
	if accessKeyID == "" {
		return fieldsError(FieldErrors{"access_key": "Pick the access key to revoke."})
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return err
	}
	u, err := s.gw.User(ctx, ostor.ByID(m.UserID))
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(u.Keys, func(k ostor.KeyPair) bool { return k.AccessKeyID == accessKeyID }) {
		return staas.Errorf(staas.ENOTFOUND, "The S3 user %s has no access key %s.", m.UserID, accessKeyID)
	}
	return s.revokeKey(ctx, a, m, accessKeyID)
}

// revokeKey revokes one of m's key pairs, checked to be the user's by the
// caller, and removes its note from a's client.
func (s *Service) revokeKey(ctx context.Context, a Actor, m *staas.S3User, accessKeyID string) error {
	if err := s.gw.RevokeKey(ctx, m.Email, accessKeyID); err != nil {
		return err
	}
	s.forgetUsers()
	if err := s.removeNotes(ctx, a, m.UserID, accessKeyID); err != nil {
		return partial(fmt.Sprintf("Access key %s was revoked, but its WHMCS note could not be removed", accessKeyID), err)
	}
	return nil
}

// QueryUser returns the client's S3 user as the gateway has it: state,
// flags and key pairs (with secrets: callers mask them).
func (s *Service) QueryUser(ctx context.Context, a Actor) (*ostor.User, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	return s.gw.User(ctx, ostor.ByID(m.UserID))
}

// S3User returns the client's mapping, or ENOTFOUND.
func (s *Service) S3User(ctx context.Context, a Actor) (*staas.S3User, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	return s.store.S3User(ctx, a.ClientID, 0)
}

// RevealSecret returns the secret of one of the client's key pairs. It
// needs "Perform Server Operations": a secret is a credential, and a
// view-only admin has no use for it. The caller records the reveal in the
// audit log.
func (s *Service) RevealSecret(ctx context.Context, a Actor, accessKeyID string) (string, error) {
	if err := allow(a, change); err != nil {
		return "", err
	}
	u, err := s.QueryUser(ctx, a)
	if err != nil {
		return "", err
	}
	for _, k := range u.Keys {
		if k.AccessKeyID == accessKeyID {
			return k.SecretAccessKey, nil
		}
	}
	return "", staas.Errorf(staas.ENOTFOUND, "The S3 user %s has no access key %s.", u.ID, accessKeyID)
}

// UserPage is one page of the cluster's users.
type UserPage struct {
	Users []ostor.User
	Total int // users matching the search
	// Page is the page shown: the one asked for, brought into 1 … the
	// last page, so a huge page number neither overflows nor shows
	// nothing.
	Page int
}

// MaxPageSize bounds a page of users.
const MaxPageSize = 100

// ListUsers returns one page of the cluster's users whose email or id
// contains q (case-insensitive), sorted by email. page is 1-based.
func (s *Service) ListUsers(ctx context.Context, a Actor, q string, page, size int) (*UserPage, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	if len(q) > 254 {
		return nil, fieldsError(FieldErrors{"q": "The search is longer than an email address can be."})
	}
	if size <= 0 || size > MaxPageSize {
		size = 25
	}
	if page < 1 {
		page = 1
	}
	all, err := s.allUsers(ctx)
	if err != nil {
		return nil, err
	}
	var match []ostor.User
	if q == "" {
		match = all
	} else {
		q = strings.ToLower(q)
		for _, u := range all {
			if strings.Contains(strings.ToLower(u.Email), q) || strings.Contains(u.ID, q) {
				match = append(match, u)
			}
		}
	}
	page = min(page, max(1, (len(match)+size-1)/size))
	from := (page - 1) * size
	to := min(from+size, len(match))
	return &UserPage{Users: match[from:to], Total: len(match), Page: page}, nil
}

// allUsers lists the cluster's users, reusing a recent list.
func (s *Service) allUsers(ctx context.Context) ([]ostor.User, error) {
	s.mu.Lock()
	if s.users != nil && s.now().Sub(s.usersTime) < s.ttl {
		users := s.users
		s.mu.Unlock()
		return users, nil
	}
	s.mu.Unlock()
	users, err := s.gw.Users(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(users, func(x, y ostor.User) int { return strings.Compare(x.Email, y.Email) })
	s.mu.Lock()
	s.users, s.usersTime = users, s.now()
	s.mu.Unlock()
	return users, nil
}

// forgetUsers drops the cached user list after a change, so the admin
// sees their own change at once.
func (s *Service) forgetUsers() {
	s.mu.Lock()
	s.users = nil
	s.mu.Unlock()
}

// Buckets returns the client's buckets with their sizes.
func (s *Service) Buckets(ctx context.Context, a Actor) ([]ostor.Bucket, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	return s.bucketsOf(ctx, m)
}

func (s *Service) bucketsOf(ctx context.Context, m *staas.S3User) ([]ostor.Bucket, error) {
	b, err := s.gw.BucketsOf(ctx, ostor.ByID(m.UserID))
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil, nil
	}
	return b, err
}

// ownBucket checks that bucket belongs to the client, so an admin on one
// client's page cannot change another client's bucket.
func (s *Service) ownBucket(ctx context.Context, a Actor, bucket string) error {
	if bucket == "" {
		return fieldsError(FieldErrors{"bucket": "Enter the bucket's name."})
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return err
	}
	buckets, err := s.bucketsOf(ctx, m)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(buckets, func(b ostor.Bucket) bool { return b.Name == bucket }) {
		return fieldsError(FieldErrors{"bucket": fmt.Sprintf("This client has no bucket named %q.", bucket)})
	}
	return nil
}
