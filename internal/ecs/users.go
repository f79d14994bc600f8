package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"staas"
)

// NamespaceFor is the namespace of an S3 user in per-user mode: the email
// lowercased, every character but a-z and 0-9 turned into '-', cut to 40
// characters, then '-' and 8 hex digits of the email's SHA-256, so that
// two emails never share one.
func NamespaceFor(email string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(email) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
		if b.Len() >= 40 {
			break
		}
	}
	sum := sha256.Sum256([]byte(email))
	return b.String() + "-" + hex.EncodeToString(sum[:4])
}

var ourNamespace = regexp.MustCompile(`^[a-z0-9-]{0,40}-[0-9a-f]{8}$`)

// namespaceOf is the namespace the user of email lives in.
func (c *Client) namespaceOf(email string) string {
	if c.cfg.Namespace != "" {
		return c.cfg.Namespace
	}
	return NamespaceFor(email)
}

// ours reports whether an (uid, namespace) pair is one staas made.
func (c *Client) ours(uid, ns string) bool {
	if c.cfg.Namespace != "" {
		return ns == c.cfg.Namespace
	}
	return ns == NamespaceFor(uid)
}

// userID is the object user of a staas email: the email itself
// (assumed: ECS takes '@' and '.' in user names). It is also the S3
// access key id.
func userID(email string) (string, error) {
	if p := staas.EmailProblem(email); p != "" {
		return "", staas.Errorf(staas.EINVALID, "%s.", strings.TrimSuffix(p, "."))
	}
	return email, nil
}

// refID resolves a reference to a uid: an email or an id, which are the same.
func refID(ref staas.UserRef) (string, error) {
	if ref.IsZero() {
		return "", staas.Errorf(staas.EINVALID, "No S3 user was named.")
	}
	if ref.ID() != "" {
		return userID(ref.ID())
	}
	return userID(ref.Email())
}

func esc(s string) string { return url.PathEscape(s) }

// CreateUser makes the object user of email (and, in per-user mode, its
// namespace) and its first secret key.
func (c *Client) CreateUser(ctx context.Context, email string) (*staas.UserKeys, error) {
	uid, err := userID(email)
	if err != nil {
		return nil, err
	}
	ns := c.namespaceOf(email)
	if c.cfg.Namespace == "" {
		if err := c.ensureNamespace(ctx, ns); err != nil {
			return nil, err
		}
	}
	in := map[string]any{"user": uid, "namespace": ns, "tags": []tag{{Name: "staas-email", Value: email}}}
	if err := c.do(ctx, "POST", "/object/users", nil, in, nil); err != nil {
		if staas.ErrorCode(err) == staas.ECONFLICT {
			return nil, &staas.Error{Code: staas.ECONFLICT, Message: "An ECS object user " + uid + " already exists.", Err: err}
		}
		return nil, err
	}
	var k newKey
	if err := c.do(ctx, "POST", "/object/user-secret-keys/"+esc(uid), nil, map[string]any{"namespace": ns}, &k); err != nil {
		return nil, err
	}
	return &staas.UserKeys{Email: email, ID: uid, Keys: []staas.KeyPair{k.pair(uid)}}, nil
}

func (c *Client) ensureNamespace(ctx context.Context, ns string) error {
	err := c.do(ctx, "GET", "/object/namespaces/namespace/"+esc(ns), nil, nil, nil)
	if err == nil {
		return nil
	}
	if staas.ErrorCode(err) != staas.ENOTFOUND {
		return err
	}
	vpool, err := c.replicationGroup(ctx)
	if err != nil {
		return err
	}
	err = c.do(ctx, "POST", "/object/namespaces/namespace", nil, map[string]any{"namespace": ns, "default_data_services_vpool": vpool}, nil)
	if staas.ErrorCode(err) == staas.ECONFLICT {
		return nil
	}
	return err
}

func (c *Client) replicationGroup(ctx context.Context) (string, error) {
	if c.cfg.ReplicationGroup != "" {
		return c.cfg.ReplicationGroup, nil
	}
	var v vpoolList
	if err := c.do(ctx, "GET", "/vdc/data-service/vpools", nil, nil, &v); err != nil {
		return "", err
	}
	if len(v.Vpools) == 0 || v.Vpools[0].ID == "" {
		return "", staas.Errorf(staas.EINVALID, "ECS at %s has no replication group to put a namespace in; configure one.", c.base.Host)
	}
	return v.Vpools[0].ID, nil
}

// User is one object user with its lock state and keys.
func (c *Client) User(ctx context.Context, ref staas.UserRef) (*staas.StorageUser, error) {
	uid, err := refID(ref)
	if err != nil {
		return nil, err
	}
	var info userInfo
	if err := c.do(ctx, "GET", "/object/users/"+esc(uid)+"/info", nil, nil, &info); err != nil {
		return nil, err
	}
	if info.Namespace != "" && !c.ours(uid, info.Namespace) {
		return nil, staas.Errorf(staas.ENOTFOUND, "The ECS object user %s is not one of staas's (namespace %s).", uid, info.Namespace)
	}
	var lock lockInfo
	if err := c.do(ctx, "GET", "/object/users/lock/"+esc(uid), nil, nil, &lock); err != nil {
		return nil, err
	}
	keys, err := c.keys(ctx, uid)
	if err != nil {
		return nil, err
	}
	u := &staas.StorageUser{Email: uid, ID: uid, State: state(bool(lock.IsLocked) || bool(info.Locked))}
	u.Keys = keys.pairs(uid)
	return u, nil
}

func state(locked bool) string {
	if locked {
		return "disabled"
	}
	return "enabled"
}

func (c *Client) keys(ctx context.Context, uid string) (*secretKeys, error) {
	var k secretKeys
	if err := c.do(ctx, "GET", "/object/user-secret-keys/"+esc(uid), nil, nil, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// Users lists staas's object users (marker paging), with their lock state.
func (c *Client) Users(ctx context.Context) ([]staas.StorageUser, error) {
	var out []staas.StorageUser
	marker := ""
	for {
		q := url.Values{}
		if marker != "" {
			q.Set("marker", marker)
		}
		var page userList
		if err := c.do(ctx, "GET", "/object/users", q, nil, &page); err != nil {
			return nil, err
		}
		for _, u := range page.Users {
			if c.ours(u.UserID, u.Namespace) {
				out = append(out, staas.StorageUser{Email: u.UserID, ID: u.UserID})
			}
		}
		if page.NextMarker == "" || page.NextMarker == marker {
			break
		}
		marker = page.NextMarker
	}
	// Lock states, as many at once as the client allows.
	errs := make([]error, len(out))
	var wg sync.WaitGroup
	slots := make(chan struct{}, c.cfg.Concurrency)
	for i := range out {
		wg.Add(1)
		slots <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-slots }()
			var lock lockInfo
			errs[i] = c.do(ctx, "GET", "/object/users/lock/"+esc(out[i].ID), nil, nil, &lock)
			out[i].State = state(bool(lock.IsLocked))
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Client) setLock(ctx context.Context, email string, locked bool) error {
	uid, err := userID(email)
	if err != nil {
		return err
	}
	return c.do(ctx, "PUT", "/object/users/lock", nil, map[string]any{"user": uid, "namespace": c.namespaceOf(email), "isLocked": locked}, nil)
}

// EnableUser unlocks the object user.
func (c *Client) EnableUser(ctx context.Context, email string) error {
	return c.setLock(ctx, email, false)
}

// DisableUser locks the object user.
func (c *Client) DisableUser(ctx context.Context, email string) error {
	return c.setLock(ctx, email, true)
}

// DeleteUser deletes the object user and its keys; in per-user mode it
// then deletes the user's namespace if no bucket is left in it.
func (c *Client) DeleteUser(ctx context.Context, ref staas.UserRef) error {
	uid, err := refID(ref)
	if err != nil {
		return err
	}
	ns := c.namespaceOf(uid)
	if err := c.do(ctx, "POST", "/object/users/deactivate", nil, map[string]any{"user": uid, "namespace": ns}, nil); err != nil {
		return err
	}
	if c.cfg.Namespace != "" {
		return nil
	}
	buckets, err := c.listBuckets(ctx, ns)
	if err != nil {
		if staas.ErrorCode(err) == staas.ENOTFOUND {
			return nil
		}
		return err
	}
	if len(buckets) > 0 {
		c.log.Info("ecs: namespace kept, it still has buckets", "namespace", ns, "buckets", len(buckets))
		return nil
	}
	err = c.do(ctx, "POST", "/object/namespaces/namespace/"+esc(ns)+"/deactivate", nil, nil, nil)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil
	}
	return err
}

// GenerateKey adds a secret key. With one key already there the old one
// stays valid for KeyGrace; with both of ECS's two slots used it refuses.
func (c *Client) GenerateKey(ctx context.Context, email string) (*staas.KeyPair, error) {
	uid, err := userID(email)
	if err != nil {
		return nil, err
	}
	keys, err := c.keys(ctx, uid)
	if err != nil {
		return nil, err
	}
	in := map[string]any{"namespace": c.namespaceOf(email)}
	switch n := len(keys.existing()); {
	case n >= 2:
		return nil, staas.Errorf(staas.EINVALID, "Both of ECS's two secret key slots of %s are used: revoke one first.", uid)
	case n == 1:
		in["existing_key_expiry_time_mins"] = strconv.FormatInt(int64(c.cfg.KeyGrace.Minutes()), 10)
	}
	var k newKey
	if err := c.do(ctx, "POST", "/object/user-secret-keys/"+esc(uid), nil, in, &k); err != nil {
		return nil, err
	}
	p := k.pair(uid)
	return &p, nil
}

// RevokeKey deletes one secret key. keyRef is the pair's KeyID (its
// secret_key_id), the secret itself, or the uid (the access key id) when
// the user has exactly one key.
func (c *Client) RevokeKey(ctx context.Context, email, keyRef string) error {
	uid, err := userID(email)
	if err != nil {
		return err
	}
	if keyRef == "" {
		return staas.Errorf(staas.EINVALID, "Name the key to revoke.")
	}
	keys, err := c.keys(ctx, uid)
	if err != nil {
		return err
	}
	have := keys.pairs(uid)
	var pick *staas.KeyPair
	if keyRef == uid {
		switch len(have) {
		case 0:
			return staas.Errorf(staas.ENOTFOUND, "%s has no secret key.", uid)
		case 1:
			pick = &have[0]
		default:
			return staas.Errorf(staas.EINVALID, "%s has two secret keys with the same access key id: say which secret key to revoke.", uid)
		}
	} else {
		for i, k := range have {
			if k.KeyID == keyRef || k.SecretAccessKey != "" && k.SecretAccessKey == keyRef {
				pick = &have[i]
			}
		}
		if pick == nil {
			return staas.Errorf(staas.ENOTFOUND, "%s has no such secret key.", uid)
		}
	}
	body := map[string]any{"namespace": c.namespaceOf(email)}
	switch {
	case pick.SecretAccessKey != "":
		body["secret_key"] = pick.SecretAccessKey
	case pick.KeyID != "":
		// A hidden secret (4.x "Hide Secret Key"): its id names it.
		body["secret_key_id"] = pick.KeyID
	default:
		// Neither: ECS would delete every key on a body without one.
		return staas.Errorf(staas.EINVALID, "ECS hides the secret keys of %s and gives no key ids, so staas cannot name the one to revoke.", uid)
	}
	return c.do(ctx, "POST", "/object/user-secret-keys/"+esc(uid)+"/deactivate", nil, body, nil)
}

// Ping is GET /user/whoami.
func (c *Client) Ping(ctx context.Context) error {
	return c.do(ctx, "GET", "/user/whoami", nil, nil, nil)
}

// Capabilities: ECS has no per-user rate limits and no statistics objects.
func (c *Client) Capabilities() staas.Capabilities { return staas.Capabilities{} }

func noLimits() error {
	return staas.Errorf(staas.EINVALID, "ECS has no per-user rate limits.")
}

// SetOpsLimit refuses: ECS has no per-user rate limits.
func (c *Client) SetOpsLimit(context.Context, staas.LimitSubject, string, float64) error {
	return noLimits()
}

// SetBandwidthLimit refuses: ECS has no per-user rate limits.
func (c *Client) SetBandwidthLimit(context.Context, staas.LimitSubject, uint64) error {
	return noLimits()
}

// Limits refuses: ECS has no per-user rate limits.
func (c *Client) Limits(context.Context, staas.LimitSubject) (*staas.Limits, error) {
	return nil, noLimits()
}

// DeleteLimits refuses: ECS has no per-user rate limits.
func (c *Client) DeleteLimits(context.Context, staas.LimitSubject) error { return noLimits() }
