package provision

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"staas"
)

// CreateUser creates the client's S3 user on the default cluster
// (CreateUserOn).
func (s *AdminPanel) CreateUser(ctx context.Context, a Actor) (*staas.S3User, error) {
	return s.CreateUserOn(ctx, a, "")
}

// noClusterField is the cluster field's error for a name no cluster has,
// naming the choices.
func (s *core) noClusterField(cluster string) error {
	return fieldsError(FieldErrors{FieldCluster: fmt.Sprintf("There is no cluster named %q: choose one of %s.", clip(cluster, 64), joinAnd(quoted(s.clusters.Names())))})
}

// CreateUserOn creates the client's S3 user on the named cluster ("" is
// the default) with the client's WHMCS email, records the mapping with
// that cluster and adds the guide's note with the first key pair. A
// cluster staas does not have is a field error on FieldCluster, and
// nothing is sent.
//
// A user that already exists on the cluster with that email and belongs
// to no other client is linked rather than refused, so an admin can finish
// a creation whose answer was lost. A user mapped to another client is
// never taken over.
func (s *AdminPanel) CreateUserOn(ctx context.Context, a Actor, cluster string) (*staas.S3User, error) {
	if err := allow(a, change); err != nil {
		return nil, err
	}
	if cluster == "" {
		cluster = s.cluster
	}
	gw, err := s.clusters.Backend(cluster)
	if err != nil {
		return nil, s.noClusterField(cluster)
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
	var first *staas.KeyPair
	created, err := gw.CreateUser(ctx, client.Email)
	switch {
	case err == nil:
		userID = created.ID
		if len(created.Keys) > 0 {
			first = &created.Keys[0]
		}
	case staas.ErrorCode(err) == staas.ECONFLICT:
		existing, lerr := gw.User(ctx, staas.ByEmail(client.Email))
		if lerr != nil {
			return nil, err
		}
		if other, oerr := s.store.S3UserByUserID(ctx, cluster, existing.ID); oerr == nil && other.ClientID != a.ClientID {
			return nil, staas.Errorf(staas.ECONFLICT, "The S3 user %s with email %s belongs to WHMCS client %d.", existing.ID, client.Email, other.ClientID)
		} else if oerr != nil && staas.ErrorCode(oerr) != staas.ENOTFOUND {
			return nil, oerr
		}
		userID = existing.ID
	default:
		return nil, err
	}

	now := s.now().UTC()
	m := staas.S3User{ClientID: a.ClientID, Cluster: cluster, UserID: userID, Email: client.Email, CreatedAt: now, UpdatedAt: now}
	if err := s.store.SaveS3User(ctx, m); err != nil {
		return nil, fmt.Errorf("S3 user %s was created but its mapping was not saved: %w", userID, err)
	}
	if first == nil {
		s.info(ctx, a, fmt.Sprintf("The S3 user %s already existed on the cluster and is now linked to this client; no note was added because its secret is not new.", userID))
		return &m, nil
	}
	if err := s.addNote(ctx, a, staas.S3Note{UserID: userID, AccessKeyID: first.AccessKeyID, SecretAccessKey: first.SecretAccessKey}); err != nil {
		return &m, partial(fmt.Sprintf("S3 user %s was created, but the WHMCS note could not be written", userID), err)
	}
	return &m, nil
}

// FieldCluster is the admin panel's field naming the cluster Create User
// makes the client's S3 user on.
const FieldCluster = "cluster"

// Clusters names the clusters an admin may create a client's S3 user on,
// sorted, and the default one.
func (s *AdminPanel) Clusters() (names []string, def string) {
	return s.clusters.Names(), s.cluster
}

// quoted is each name in double quotes.
func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}

// clip cuts s to at most n bytes for a message, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// partial reports an action whose gateway part succeeded and whose WHMCS
// part failed: the admin must learn both.
func partial(done string, err error) error {
	return &staas.Error{Code: staas.ErrorCode(err), Message: done + ": " + staas.ErrorMessage(err), Err: err}
}

// DeleteUser deletes the client's S3 user, its notes and its mapping. It
// refuses, listing them, while the user owns buckets: deleting data takes
// its own, typed confirmation (PurgeBucket), bucket by bucket.
func (s *AdminPanel) DeleteUser(ctx context.Context, a Actor) (*staas.S3User, error) {
	if err := allow(a, change); err != nil {
		return nil, err
	}
	m, err := s.deletable(ctx, a)
	if err != nil {
		return nil, err
	}
	if err := s.at(m.Cluster).DeleteUser(ctx, staas.ByID(m.UserID)); err != nil && staas.ErrorCode(err) != staas.ENOTFOUND {
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

// CheckDeleteUser says whether Delete User would go ahead, so the admin
// panel refuses before it asks for a confirmation: the client must have
// an S3 user, and the user must own no bucket (the refusal names them and
// the way forward).
func (s *AdminPanel) CheckDeleteUser(ctx context.Context, a Actor) error {
	if err := allow(a, change); err != nil {
		return err
	}
	_, err := s.deletable(ctx, a)
	return err
}

func (s *core) deletable(ctx context.Context, a Actor) (*staas.S3User, error) {
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	buckets, err := s.bucketsOf(ctx, m)
	if err != nil {
		return nil, err
	}
	if len(buckets) > 0 {
		return nil, staas.Errorf(staas.ECONFLICT, "The S3 user %s still owns %s: %s. Delete User removes only a user without buckets: "+
			"use Empty and delete in the S3 Buckets panel on each one (it deletes its data), then Delete User again.",
			m.UserID, staas.Count(len(buckets), "bucket", "buckets"), bucketNames(buckets))
	}
	return m, nil
}

// PurgeBucket empties one of the client's buckets (every object version,
// delete marker and unfinished upload) and deletes it, through the same
// purge Terminate uses, as the bucket's owner: a disabled user is enabled
// for it and disabled again after; a user without a key pair gets one for
// it, revoked again after. It returns how many objects were deleted. The
// caller has had the admin confirm by typing the bucket's name, and
// records the action.
func (s *AdminPanel) PurgeBucket(ctx context.Context, a Actor, bucket string) (int64, error) {
	if err := s.CheckPurgeBucket(ctx, a, bucket); err != nil {
		return 0, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return 0, err
	}
	u, err := s.at(m.Cluster).User(ctx, staas.ByID(m.UserID))
	if err != nil {
		return 0, err
	}
	if _, itself := s.purgesItself(m.Cluster); !itself && len(u.Keys) == 0 {
		// The purge acts as the owner, with a key pair; one made for it
		// goes again after, so the client has no key they never saw.
		k, err := s.at(m.Cluster).GenerateKey(ctx, m.Email)
		if err != nil {
			return 0, partial(fmt.Sprintf("The S3 user %s has no key pair to empty its bucket with, and none could be made", m.UserID), err)
		}
		s.forgetUsers()
		u.Keys = []staas.KeyPair{*k}
		defer func() {
			if err := s.at(m.Cluster).RevokeKey(context.WithoutCancel(ctx), m.Email, k.BackendID()); err != nil {
				s.log.Error("a key pair made to empty a bucket could not be revoked", "user_id", m.UserID, "access_key", k.AccessKeyID, "err", err)
			}
			s.forgetUsers()
		}()
	}
	restore, objects, err := s.purge(ctx, a, m, u, []staas.Bucket{{Name: bucket}}, "")
	if err == nil {
		restore() // the user is left as it was: disabled again if it was (a failed purge did that already)
	}
	return objects, err
}

// CheckPurgeBucket says whether PurgeBucket would go ahead, so the admin
// panel refuses before it asks for the bucket's name: the bucket must be
// the client's, and emptying buckets must be configured.
func (s *AdminPanel) CheckPurgeBucket(ctx context.Context, a Actor, bucket string) error {
	if err := allow(a, change); err != nil {
		return err
	}
	if err := s.ownBucket(ctx, a, bucket); err != nil {
		return err
	}
	if s.purger != nil || s.purgers != nil {
		return nil
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		// Not "not configured": the admin is told what really failed.
		return err
	}
	if _, itself := s.purgesItself(m.Cluster); itself {
		return nil
	}
	return staas.Errorf(staas.EINVALID, "Emptying buckets is not configured on this staas: it needs the S3 endpoint (STAAS_OSTOR_S3_ENDPOINT).")
}

// EnableUser enables the client's S3 user.
func (s *AdminPanel) EnableUser(ctx context.Context, a Actor) (*staas.S3User, error) {
	return s.setEnabled(ctx, a, true)
}

// DisableUser disables the client's S3 user: its keys stop working, its
// data stays.
func (s *AdminPanel) DisableUser(ctx context.Context, a Actor) (*staas.S3User, error) {
	return s.setEnabled(ctx, a, false)
}

func (s *core) setEnabled(ctx context.Context, a Actor, on bool) (*staas.S3User, error) {
	if err := allow(a, change); err != nil {
		return nil, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	if on {
		err = s.at(m.Cluster).EnableUser(ctx, m.Email)
	} else {
		err = s.at(m.Cluster).DisableUser(ctx, m.Email)
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
func (s *AdminPanel) GenerateKey(ctx context.Context, a Actor) (*staas.KeyPair, error) {
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
func (s *core) generateKey(ctx context.Context, a Actor, m *staas.S3User) (*staas.KeyPair, error) {
	key, err := s.at(m.Cluster).GenerateKey(ctx, m.Email)
	if staas.ErrorCode(err) == staas.EKEYLIMIT {
		return nil, staas.Errorf(staas.EKEYLIMIT, "The S3 user %s already has two access key pairs, the most the storage allows. Revoke one first.", m.UserID)
	}
	if err != nil {
		return nil, err
	}
	s.forgetUsers()
	if err := s.addNote(ctx, a, staas.S3Note{UserID: m.UserID, AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}); err != nil {
		return key, partial(fmt.Sprintf("Access key %s was generated, but the WHMCS note could not be written", key.Label()), err)
	}
	return key, nil
}

// RevokeKey revokes the key pair the admin picked and removes its note. The
// key must belong to the client's user: an access key id from another
// client's page is refused.
func (s *AdminPanel) RevokeKey(ctx context.Context, a Actor, accessKeyID string) error {
	if err := allow(a, change); err != nil {
		return err
	}
	m, u, err := s.ownKeyUser(ctx, a, accessKeyID)
	if err != nil {
		return err
	}
	return s.revokeKey(ctx, a, m, u, accessKeyID)
}

// CheckKey says whether accessKeyID is one of the client's user's key
// pairs, so Revoke can refuse before it asks for a confirmation.
func (s *AdminPanel) CheckKey(ctx context.Context, a Actor, accessKeyID string) error {
	if err := allow(a, view); err != nil {
		return err
	}
	_, _, err := s.ownKey(ctx, a, accessKeyID)
	return err
}

// ownKey returns the client's mapping and its key pair named ref (its
// Ref: the access key id, or on ECS the key id). No key picked is a field
// error; it never means "the first key".
func (s *core) ownKey(ctx context.Context, a Actor, ref string) (*staas.S3User, staas.KeyPair, error) {
	m, u, err := s.ownKeyUser(ctx, a, ref)
	if err != nil {
		return nil, staas.KeyPair{}, err
	}
	return m, u.Keys[keyIndex(u.Keys, ref)], nil
}

// ownKeyUser is ownKey's mapping and the whole gateway user.
func (s *core) ownKeyUser(ctx context.Context, a Actor, ref string) (*staas.S3User, *staas.StorageUser, error) {
	if ref == "" {
		// Keys are picked by a row's button: there is no field to mark.
		return nil, nil, staas.Errorf(staas.EINVALID, "No access key was picked: use the Reveal or Revoke button of a key in the user's key list (Query User).")
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.at(m.Cluster).User(ctx, staas.ByID(m.UserID))
	if err != nil {
		return nil, nil, err
	}
	if keyIndex(u.Keys, ref) < 0 {
		return nil, nil, staas.Errorf(staas.ENOTFOUND, "The S3 user %s has no access key %s.", m.UserID, cut(ref))
	}
	return m, u, nil
}

// keyIndex is the index of the pair named ref in keys, or -1.
func keyIndex(keys []staas.KeyPair, ref string) int {
	return slices.IndexFunc(keys, func(k staas.KeyPair) bool { return k.Ref() == ref })
}

// revokeKey revokes u's key pair named ref, checked to be the user's by
// the caller, and removes its note from a's client, unless another pair
// of the user has the same access key id (ECS), which the note still
// names rightly.
func (s *core) revokeKey(ctx context.Context, a Actor, m *staas.S3User, u *staas.StorageUser, ref string) error {
	k := u.Keys[keyIndex(u.Keys, ref)]
	if err := s.at(m.Cluster).RevokeKey(ctx, m.Email, k.BackendID()); err != nil {
		return err
	}
	s.forgetUsers()
	if slices.ContainsFunc(u.Keys, func(o staas.KeyPair) bool { return o.Ref() != ref && o.AccessKeyID == k.AccessKeyID }) {
		return nil
	}
	if err := s.removeNotes(ctx, a, m.UserID, k.AccessKeyID); err != nil {
		return partial(fmt.Sprintf("Access key %s was revoked, but its WHMCS note could not be removed", k.Label()), err)
	}
	return nil
}

// QueryUser returns the client's S3 user as the gateway has it: state,
// flags and key pairs (with secrets: callers mask them).
func (s *AdminPanel) QueryUser(ctx context.Context, a Actor) (*staas.StorageUser, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	return s.at(m.Cluster).User(ctx, staas.ByID(m.UserID))
}

// S3User returns the client's mapping, or ENOTFOUND.
func (s *AdminPanel) S3User(ctx context.Context, a Actor) (*staas.S3User, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	return s.store.S3User(ctx, a.ClientID, 0)
}

// RevealSecret returns the secret of one of the client's key pairs. It
// needs "Perform Server Operations": a secret is a credential, and a
// view-only admin has no use for it. The caller records the reveal in the
// audit log.
func (s *AdminPanel) RevealSecret(ctx context.Context, a Actor, accessKeyID string) (string, error) {
	if err := allow(a, change); err != nil {
		return "", err
	}
	_, k, err := s.ownKey(ctx, a, accessKeyID)
	if err != nil {
		return "", err
	}
	return k.SecretAccessKey, nil
}

// UserPage is one page of the cluster's users.
type UserPage struct {
	Users []staas.StorageUser
	Total int // users matching the search
	// Page is the page shown: the one asked for, brought into 1 … the
	// last page, so a huge page number neither overflows nor shows
	// nothing.
	Page int
	// Cluster is the cluster listed.
	Cluster string
}

// MaxPageSize bounds a page of users.
const MaxPageSize = 100

// ListUsers returns one page of the users of the client's cluster (its
// S3 user's, else the default) whose email or id contains q
// (case-insensitive), sorted by email. page is 1-based.
func (s *AdminPanel) ListUsers(ctx context.Context, a Actor, q string, page, size int) (*UserPage, error) {
	return s.ListUsersOn(ctx, a, "", q, page, size)
}

// ListUsersOn is ListUsers of the named cluster; "" is the client's. An
// unknown cluster is a field error on the cluster field, and nothing is
// asked of any gateway.
func (s *AdminPanel) ListUsersOn(ctx context.Context, a Actor, cluster, q string, page, size int) (*UserPage, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	if cluster != "" {
		if _, err := s.clusters.Backend(cluster); err != nil {
			return nil, s.noClusterField(cluster)
		}
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
	if cluster == "" {
		c, err := s.clientCluster(ctx, a)
		if err != nil {
			return nil, err
		}
		cluster = c
	}
	all, err := s.allUsers(ctx, cluster)
	if err != nil {
		return nil, err
	}
	var match []staas.StorageUser
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
	return &UserPage{Users: match[from:to], Total: len(match), Page: page, Cluster: cluster}, nil
}

// allUsers lists a cluster's users, reusing a recent list.
func (s *core) allUsers(ctx context.Context, cluster string) ([]staas.StorageUser, error) {
	s.mu.Lock()
	if c, ok := s.users[cluster]; ok && s.now().Sub(c.at) < s.ttl {
		s.mu.Unlock()
		return c.users, nil
	}
	s.mu.Unlock()
	users, err := s.at(cluster).Users(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(users, func(x, y staas.StorageUser) int { return strings.Compare(x.Email, y.Email) })
	s.mu.Lock()
	if s.users == nil {
		s.users = map[string]userList{}
	}
	s.users[cluster] = userList{users: users, at: s.now()}
	s.mu.Unlock()
	return users, nil
}

// userList is a cluster's user list as read at a time.
type userList struct {
	users []staas.StorageUser // sorted by email
	at    time.Time
}

// forgetUsers drops the cached user lists after a change, so the admin
// sees their own change at once.
func (s *core) forgetUsers() {
	s.mu.Lock()
	s.users = nil
	s.mu.Unlock()
}

// Buckets returns the client's buckets with their sizes.
func (s *AdminPanel) Buckets(ctx context.Context, a Actor) ([]staas.Bucket, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	return s.bucketsOf(ctx, m)
}

func (s *core) bucketsOf(ctx context.Context, m *staas.S3User) ([]staas.Bucket, error) {
	b, err := s.at(m.Cluster).BucketsOf(ctx, staas.ByID(m.UserID))
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil, nil
	}
	return b, err
}

// ownBucket checks that bucket belongs to the client, so an admin on one
// client's page cannot change another client's bucket.
func (s *core) ownBucket(ctx context.Context, a Actor, bucket string) error {
	if bucket == "" {
		return fieldsError(FieldErrors{"bucket": chooseBucket})
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return err
	}
	buckets, err := s.bucketsOf(ctx, m)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(buckets, func(b staas.Bucket) bool { return b.Name == bucket }) {
		return fieldsError(FieldErrors{"bucket": fmt.Sprintf("This client has no bucket named %q. %s", bucket, chooseBucket)})
	}
	return nil
}
