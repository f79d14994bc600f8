package provision

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"staas"
	"staas/whmcsbridge"
)

// The WHMCS service lifecycle: what each function of the server module
// (CreateAccount, SuspendAccount, …) means for a service's S3 user. Each
// WHMCS service has its own S3 user, mapped as an S3User with ServiceID >
// 0 (ServiceID 0 stays the admin panel's client-level user).
//
// Every call is idempotent: WHMCS's Module Queue retries failed calls and
// admins click twice, so a call that finds its work done answers success,
// and a call that failed part way leaves what a retry completes. Each call
// writes its own audit rows, with WHMCS as the actor (and the admin who
// clicked a module button, if one did): callers must not record it again.

// ServiceRef names a WHMCS service as the module call gives it.
type ServiceRef struct {
	ServiceID, ClientID int64
	// ClientEmail is the client's current email; Create makes the S3
	// user's address from it, Terminate looks for an unlinked user by it.
	ClientEmail string
	// AdminID is the admin who clicked a module button; 0 when WHMCS runs
	// the function by itself (cron, checkout).
	AdminID int64
	// Cluster is the cluster the WHMCS server entry names ("" the
	// default). A new service's user is made there; a mapped service
	// stays on its own cluster, and a call naming another is refused.
	Cluster string
}

func (r ServiceRef) check() error {
	if r.ServiceID <= 0 {
		return staas.Errorf(staas.EINVALID, "A WHMCS service id is needed (got %d).", r.ServiceID)
	}
	if r.ClientID <= 0 {
		return staas.Errorf(staas.EINVALID, "A WHMCS client id is needed (got %d).", r.ClientID)
	}
	if r.AdminID < 0 {
		return staas.Errorf(staas.EINVALID, "The WHMCS admin id must not be negative (got %d).", r.AdminID)
	}
	return nil
}

// actor is WHMCS acting on the service's client.
func (r ServiceRef) actor() Actor {
	return Actor{Kind: ActorWHMCS, ClientID: r.ClientID, Admin: staas.Admin{ID: r.AdminID}}
}

func (r ServiceRef) params() map[string]string {
	return map[string]string{"service_id": strconv.FormatInt(r.ServiceID, 10)}
}

// serviceUser returns the service's S3 user, found by service id. When
// WHMCS has moved the service to another client, the mapping follows and
// both clients' audit logs say so. ENOTFOUND (the store's) when the
// service has none.
func (s *core) serviceUser(ctx context.Context, ref ServiceRef) (*staas.S3User, error) {
	m, err := s.store.S3UserByService(ctx, ref.ServiceID)
	if err != nil {
		return nil, err
	}
	if ref.Cluster != "" && ref.Cluster != m.Cluster {
		return nil, staas.Errorf(staas.ECONFLICT, "Service %d's S3 user %s lives on cluster %q, but WHMCS now names cluster %q: staas moves no service between clusters. Put the service back on a server entry of cluster %q.",
			ref.ServiceID, m.UserID, m.Cluster, ref.Cluster, m.Cluster)
	}
	if m.ClientID == ref.ClientID {
		return m, nil
	}
	from := m.ClientID
	if err := s.store.MoveService(ctx, ref.ServiceID, ref.ClientID, s.now().UTC()); err != nil {
		return nil, err
	}
	m.ClientID = ref.ClientID
	msg := fmt.Sprintf("WHMCS moved service %d from client %d to client %d; its S3 user %s (%s) moved with it. The WHMCS notes of its keys stay with client %d.",
		ref.ServiceID, from, ref.ClientID, m.UserID, m.Email, from)
	params := ref.params()
	params["from_client"] = strconv.FormatInt(from, 10)
	params["to_client"] = strconv.FormatInt(ref.ClientID, 10)
	params["user_id"] = m.UserID
	s.log.Info("service moved to another client", "service", ref.ServiceID, "from_client", from, "to_client", ref.ClientID, "user_id", m.UserID)
	for _, c := range []int64{ref.ClientID, from} {
		a := ref.actor()
		a.ClientID = c
		s.record(ctx, a, "service-moved", params, nil, msg)
	}
	return m, nil
}

// mappedService is serviceUser with the admin-facing ENOTFOUND message.
func (s *core) mappedService(ctx context.Context, ref ServiceRef, notFound string) (*staas.S3User, error) {
	m, err := s.serviceUser(ctx, ref)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil, staas.Errorf(staas.ENOTFOUND, "%s", notFound)
	}
	return m, err
}

const (
	noUserRunCreate = "This service has no S3 user: run Create first."
	noUserYet       = "This service has no S3 user yet."
)

// CreateService creates the service's S3 user with the address the
// product's template makes, records the mapping, adds the guide's note
// with its first key pair (queued while WHMCS is down), and applies the
// product's limits and quota, in that order.
//
// A retry finishes the job: a service already mapped gets its user made
// again if it is gone from the gateway, and its limits and quota applied
// again, and no second note. A user that exists on the gateway with the
// service's address but is mapped to nobody (the answer to an earlier
// creation was lost) is linked, and noted from its first key read back
// from the gateway, so the client gets their key once. A user mapped to
// another client or service is never taken over. A bad product
// configuration sends nothing to the gateway and writes nothing.
//
// On an error after the mapping was saved, the mapping is returned with
// the error.
func (s *Lifecycle) CreateService(ctx context.Context, ref ServiceRef, cfg ProductConfig) (*staas.S3User, error) {
	if err := ref.check(); err != nil {
		return nil, err
	}
	p, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	cluster, err := s.targetCluster(ctx, ref)
	if err != nil {
		return nil, err
	}
	if err := refuseUnsupported(cluster, s.at(cluster).Capabilities(), p); err != nil {
		return nil, err
	}
	email, err := cfg.Email(ref.ClientEmail, ref.ServiceID, ref.ClientID)
	if err != nil {
		return nil, err
	}
	a := ref.actor()
	params := ref.params()
	params["email"] = email
	m, msg, err := s.createService(ctx, a, ref, cluster, p, email)
	if m != nil {
		params["user_id"] = m.UserID
		params["email"] = m.Email
	}
	s.record(ctx, a, "service-create", params, err, msg)
	return m, err
}

// targetCluster is the cluster a module call works on: a mapped
// service's own (a call naming another is refused by serviceUser), else
// the one the call names, else the default. An unknown name is EINVALID.
func (s *core) targetCluster(ctx context.Context, ref ServiceRef) (string, error) {
	cluster := ref.Cluster
	if m, err := s.store.S3UserByService(ctx, ref.ServiceID); err == nil {
		cluster = m.Cluster
	}
	if cluster == "" {
		cluster = s.clusters.Default()
	}
	if _, err := s.clusters.Backend(cluster); err != nil {
		return "", err
	}
	return cluster, nil
}

func (s *core) createService(ctx context.Context, a Actor, ref ServiceRef, cluster string, p product, email string) (*staas.S3User, string, error) {
	m, err := s.serviceUser(ctx, ref)
	switch {
	case err == nil:
		recreated, err := s.ensureUser(ctx, a, m)
		if err != nil {
			return m, "", err
		}
		if err := s.applyProduct(ctx, m.Cluster, m.UserID, p); err != nil {
			return m, "", partial(fmt.Sprintf("S3 user %s exists, but the product's limits and quota could not be applied (retry Create)", m.UserID), err)
		}
		if recreated {
			return m, fmt.Sprintf("The S3 user of service %d was gone from the gateway and is created again as %s (%s), with the product's limits and quota; a note has its key pair.", ref.ServiceID, m.UserID, m.Email), nil
		}
		return m, fmt.Sprintf("Service %d already has the S3 user %s (%s); its limits and quota are the product's.", ref.ServiceID, m.UserID, m.Email), nil
	case staas.ErrorCode(err) != staas.ENOTFOUND:
		return nil, "", err
	}

	m, linked, err := s.makeUser(ctx, a, cluster, email, ref.ClientID, ref.ServiceID, fmt.Sprintf("service %d's (retry Create)", ref.ServiceID))
	if err != nil {
		return m, "", err
	}
	if err := s.applyProduct(ctx, m.Cluster, m.UserID, p); err != nil {
		return m, "", partial(fmt.Sprintf("S3 user %s was created, but the product's limits and quota could not be applied (retry Create)", m.UserID), err)
	}
	if linked {
		return m, fmt.Sprintf("The S3 user %s (%s) already existed on the gateway, linked to no service, and is now service %d's; a note has its first key pair.", m.UserID, email, ref.ServiceID), nil
	}
	return m, fmt.Sprintf("S3 user %s (%s) created for service %d with the product's limits and quota; a note has its key pair.", m.UserID, email, ref.ServiceID), nil
}

// makeUser creates the S3 user with email for a client (serviceID 0) or
// one of its services, or links the unmapped one the gateway has (see
// createOrLink), records the mapping and notes the key pair once. whose
// ends the message when the mapping cannot be saved ("S3 user … was
// created, but staas could not record that it is " whose): no mapping is
// returned then, and a retry finds the user unmapped and links it. When
// only the note failed, the mapping is returned with the error.
func (s *core) makeUser(ctx context.Context, a Actor, cluster, email string, clientID, serviceID int64, whose string) (m *staas.S3User, linked bool, err error) {
	userID, first, linked, err := s.createOrLink(ctx, cluster, email, clientID, serviceID)
	if err != nil {
		return nil, false, err
	}
	now := s.now().UTC()
	m = &staas.S3User{ClientID: clientID, ServiceID: serviceID, Cluster: cluster, UserID: userID, Email: email, CreatedAt: now, UpdatedAt: now}
	if err := s.store.SaveS3User(ctx, *m); err != nil {
		return nil, false, partial(fmt.Sprintf("S3 user %s was created, but staas could not record that it is %s", userID, whose), err)
	}
	s.forgetUsers()
	if err := s.noteOnce(ctx, a, staas.S3Note{UserID: userID, AccessKeyID: first.AccessKeyID, SecretAccessKey: first.SecretAccessKey}); err != nil {
		return m, linked, partial(fmt.Sprintf("S3 user %s was created, but the WHMCS note of its key pair could neither be written nor queued", userID), err)
	}
	return m, linked, nil
}

// createOrLink creates the user with email for a service (or, serviceID
// 0, for the client), or, when the gateway has one already that no other
// mapping names, links it. first is the key pair to note: the new one, or
// the linked user's first (generated when it has none, since the client
// must get one).
func (s *core) createOrLink(ctx context.Context, cluster, email string, clientID, serviceID int64) (userID string, first *staas.KeyPair, linked bool, err error) {
	gw := s.at(cluster)
	created, err := gw.CreateUser(ctx, email)
	if err == nil {
		if len(created.Keys) == 0 {
			return "", nil, false, staas.Errorf(staas.EINTERNAL, "The gateway created S3 user %s without a key pair.", created.ID)
		}
		return created.ID, &created.Keys[0], false, nil
	}
	if staas.ErrorCode(err) != staas.ECONFLICT {
		return "", nil, false, err
	}
	existing, lerr := gw.User(ctx, staas.ByEmail(email))
	if lerr != nil {
		return "", nil, false, lerr
	}
	other, oerr := s.store.S3UserByUserID(ctx, cluster, existing.ID)
	switch {
	case oerr == nil && serviceID > 0 && other.ServiceID != serviceID:
		return "", nil, false, staas.Errorf(staas.ECONFLICT, "The S3 user %s with email %s belongs to %s, not to service %d. Each service needs an address of its own: check the product's %q.",
			existing.ID, email, owner(other), serviceID, "S3 user email template")
	case oerr == nil && serviceID == 0 && (other.ServiceID != 0 || other.ClientID != clientID):
		return "", nil, false, staas.Errorf(staas.ECONFLICT, "The S3 user %s with email %s belongs to %s.", existing.ID, email, owner(other))
	case oerr != nil && staas.ErrorCode(oerr) != staas.ENOTFOUND:
		return "", nil, false, oerr
	}
	if len(existing.Keys) > 0 {
		return existing.ID, &existing.Keys[0], true, nil
	}
	key, err := gw.GenerateKey(ctx, email)
	if err != nil {
		return "", nil, false, err
	}
	return existing.ID, key, true, nil
}

// owner names whose S3 user m is, for a message.
func owner(m *staas.S3User) string {
	var who string
	if m.ServiceID == 0 {
		who = fmt.Sprintf("WHMCS client %d (its client-level user)", m.ClientID)
	} else {
		who = fmt.Sprintf("service %d of WHMCS client %d", m.ServiceID, m.ClientID)
	}
	if !m.OrphanedAt.IsZero() {
		who += ", a client deleted from WHMCS"
	}
	return who
}

// ensureUser makes the mapped user again when it is gone from the gateway
// (deleted by hand): the mapping's address, a new id, a note with the new
// key pair. recreated says whether it had to.
func (s *core) ensureUser(ctx context.Context, a Actor, m *staas.S3User) (recreated bool, err error) {
	_, err = s.at(m.Cluster).User(ctx, staas.ByID(m.UserID))
	if staas.ErrorCode(err) != staas.ENOTFOUND {
		return false, err
	}
	s.log.Warn("a service's S3 user is gone from the gateway; creating it again", "service", m.ServiceID, "client", m.ClientID, "user_id", m.UserID, "email", m.Email)
	userID, first, _, err := s.createOrLink(ctx, m.Cluster, m.Email, m.ClientID, m.ServiceID)
	if err != nil {
		return false, err
	}
	m.UserID, m.UpdatedAt = userID, s.now().UTC()
	if err := s.store.SaveS3User(ctx, *m); err != nil {
		return false, partial(fmt.Sprintf("S3 user %s was created again, but staas could not record it (retry Create)", userID), err)
	}
	s.forgetUsers()
	if err := s.noteOnce(ctx, a, staas.S3Note{UserID: userID, AccessKeyID: first.AccessKeyID, SecretAccessKey: first.SecretAccessKey}); err != nil {
		return false, partial(fmt.Sprintf("S3 user %s was created again, but the WHMCS note of its key pair could neither be written nor queued", userID), err)
	}
	return true, nil
}

// noteOnce adds the note of a key pair that no retry will note again (the
// mapping is saved already): when WHMCS fails for any reason, not only
// when it is unreachable, the note goes to the outbox rather than being
// lost. The outbox drops it later if WHMCS refuses it for good.
func (s *core) noteOnce(ctx context.Context, a Actor, n staas.S3Note) error {
	err := s.addNote(ctx, a, n)
	if err == nil {
		return nil
	}
	s.log.Warn("WHMCS refused a note that no retry would write; queueing it", "client", a.ClientID, "user_id", n.UserID, "access_key_id", n.AccessKeyID, "err", err)
	return s.notes.Queue(ctx, a.ClientID, a.Admin.ID, n, err)
}

// applyProduct sets the user's limits and quota to the product's. All six
// limits are applied, zeros too (0 is unlimited on ostor), so that a
// package change from limited to unlimited takes effect; with no limit at
// all they are deleted. The quota is set, or deleted when the product has
// none.
func (s *core) applyProduct(ctx context.Context, cluster, userID string, p product) error {
	gw := s.at(cluster)
	subject := staas.UserLimits(staas.ByID(userID))
	caps := gw.Capabilities()
	if p.unlimited() {
		// A backend without rate limits (ECS) has none to delete.
		if caps.OpsLimits || caps.BandwidthLimits {
			if err := gw.DeleteLimits(ctx, subject); err != nil && staas.ErrorCode(err) != staas.ENOTFOUND {
				return err
			}
		}
	} else {
		// A backend without ops (or bandwidth) limits was checked to
		// have none asked of it (refuseUnsupported): nothing to send.
		for i, resource := range staas.OpsResources {
			if !caps.OpsLimits {
				break
			}
			if err := gw.SetOpsLimit(ctx, subject, resource, p.ops[i]); err != nil {
				return err
			}
		}
		if caps.BandwidthLimits {
			if err := gw.SetBandwidthLimit(ctx, subject, p.bandwidth); err != nil {
				return err
			}
		}
	}
	quota := staas.UserQuota(staas.ByID(userID))
	if p.quotaGB == 0 {
		if err := gw.DeleteQuota(ctx, quota); err != nil && staas.ErrorCode(err) != staas.ENOTFOUND {
			return err
		}
		return nil
	}
	return gw.SetQuota(ctx, quota, p.quotaGB)
}

// productParams are the product's settings for the audit log.
func productParams(params map[string]string, cfg ProductConfig) {
	for i, set := range whmcsbridge.ProductSettingNames() {
		if v := strings.TrimSpace(cfg.values()[i]); v != "" && set.Wire != whmcsbridge.SettingEmailTemplate {
			params[set.Wire] = v
		}
	}
}

// SuspendService disables the service's S3 user: its keys stop working,
// its data stays. A user disabled already is fine.
func (s *Lifecycle) SuspendService(ctx context.Context, ref ServiceRef, reason string) error {
	return s.setServiceEnabled(ctx, ref, false, reason)
}

// UnsuspendService enables the service's S3 user again.
func (s *Lifecycle) UnsuspendService(ctx context.Context, ref ServiceRef) error {
	return s.setServiceEnabled(ctx, ref, true, "")
}

func (s *core) setServiceEnabled(ctx context.Context, ref ServiceRef, on bool, reason string) error {
	if err := ref.check(); err != nil {
		return err
	}
	a := ref.actor()
	params := ref.params()
	action, done := "service-unsuspend", "enabled again"
	if !on {
		action, done = "service-suspend", "disabled: its keys stop working, its data stays"
		if reason = strings.TrimSpace(reason); reason != "" {
			params["reason"] = cut(reason)
		}
	}
	m, err := s.mappedService(ctx, ref, noUserRunCreate)
	if err == nil {
		params["user_id"] = m.UserID
		if on {
			err = s.at(m.Cluster).EnableUser(ctx, m.Email)
		} else {
			err = s.at(m.Cluster).DisableUser(ctx, m.Email)
		}
		if staas.ErrorCode(err) == staas.ENOTFOUND {
			err = &staas.Error{Code: staas.ENOTFOUND, Message: fmt.Sprintf("The S3 user %s (%s) of service %d is gone from the gateway: run Create to make it again.", m.UserID, m.Email, ref.ServiceID), Err: err}
		}
		s.forgetUsers()
	}
	msg := ""
	if err == nil {
		msg = fmt.Sprintf("S3 user %s (%s) of service %d is %s.", m.UserID, m.Email, ref.ServiceID, done)
	}
	s.record(ctx, a, action, params, err, msg)
	return err
}

// ChangeServicePackage applies the (new) product's limits and quota to
// the service's S3 user.
func (s *Lifecycle) ChangeServicePackage(ctx context.Context, ref ServiceRef, cfg ProductConfig) error {
	if err := ref.check(); err != nil {
		return err
	}
	p, err := cfg.parse()
	if err != nil {
		return err
	}
	cluster, err := s.targetCluster(ctx, ref)
	if err != nil {
		return err
	}
	if err := refuseUnsupported(cluster, s.at(cluster).Capabilities(), p); err != nil {
		return err
	}
	a := ref.actor()
	params := ref.params()
	productParams(params, cfg)
	m, err := s.mappedService(ctx, ref, noUserRunCreate)
	msg := ""
	if err == nil {
		params["user_id"] = m.UserID
		if err = s.applyProduct(ctx, m.Cluster, m.UserID, p); err == nil {
			msg = fmt.Sprintf("The limits and quota of S3 user %s (%s) of service %d are now the product's.", m.UserID, m.Email, ref.ServiceID)
		}
	}
	s.record(ctx, a, "service-change-package", params, err, msg)
	return err
}

// TestConnection checks that staas's store answers and that the default
// cluster's gateway answers and takes staas's credentials (WHMCS's Test
// Connection button).
func (s *Lifecycle) TestConnection(ctx context.Context) error { return s.TestCluster(ctx, "") }

// TestCluster is TestConnection for the named cluster ("" the default),
// the one a WHMCS server entry names.
func (s *Lifecycle) TestCluster(ctx context.Context, cluster string) error {
	if cluster != "" {
		if _, err := s.clusters.Backend(cluster); err != nil {
			return err // no such cluster: nothing to test
		}
	}
	if err := s.store.Ping(ctx); err != nil {
		return &staas.Error{Code: staas.ErrorCode(err), Message: "staas's own database does not answer: " + staas.ErrorMessage(err), Err: err}
	}
	if err := s.at(cluster).Ping(ctx); err != nil {
		return &staas.Error{Code: staas.ErrorCode(err), Message: "The S3 gateway's admin API failed the test: " + staas.ErrorMessage(err), Err: err}
	}
	return nil
}

// ServiceInfo is a service's S3 user as the services tab and the client
// area show it. Keys hold secrets: callers mask them.
type ServiceInfo struct {
	User    staas.S3User
	Enabled bool
	Keys    []staas.KeyPair
	Buckets []staas.Bucket
}

// ServiceInfo returns the service's S3 user, its state, key pairs and
// buckets; ENOTFOUND "This service has no S3 user yet." before Create.
func (s *Lifecycle) ServiceInfo(ctx context.Context, ref ServiceRef) (*ServiceInfo, error) {
	if err := ref.check(); err != nil {
		return nil, err
	}
	m, err := s.mappedService(ctx, ref, noUserYet)
	if err != nil {
		return nil, err
	}
	u, err := s.at(m.Cluster).User(ctx, staas.ByID(m.UserID))
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil, &staas.Error{Code: staas.ENOTFOUND, Message: fmt.Sprintf("The S3 user %s (%s) of this service is gone from the gateway.", m.UserID, m.Email), Err: err}
	}
	if err != nil {
		return nil, err
	}
	buckets, err := s.bucketsOf(ctx, m)
	if err != nil {
		return nil, err
	}
	return &ServiceInfo{User: *m, Enabled: u.Enabled(), Keys: u.Keys, Buckets: buckets}, nil
}
