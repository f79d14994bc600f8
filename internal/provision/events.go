package provision

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"staas"
)

// WHMCS client events: what staas does when WHMCS adds, edits, closes or
// deletes a client (its hooks; WHMCS never calls TerminateAccount for
// those), and the daily report of what needs an admin. WHMCS is the
// actor; each method writes its own audit rows. A hook never fails the
// WHMCS page it runs in, so what an admin must know goes into messages
// (the shim writes them to the Activity Log) and the log, never only into
// an error.

func eventActor(clientID, adminID int64) (Actor, error) {
	if clientID <= 0 {
		return Actor{}, staas.Errorf(staas.EINVALID, "A WHMCS client id is needed (got %d).", clientID)
	}
	if adminID < 0 {
		return Actor{}, staas.Errorf(staas.EINVALID, "The WHMCS admin id must not be negative (got %d).", adminID)
	}
	return Actor{Kind: ActorWHMCS, ClientID: clientID, Admin: staas.Admin{ID: adminID}}, nil
}

// ClientAdded creates the client-level S3 user (ServiceID 0) of a client
// WHMCS has just added, with the email WHMCS sent (WHMCS is not read),
// and notes its key pair. A client that has one already is fine; a user
// with that email on the gateway that no mapping names is linked and
// noted from its first key (the answer to an earlier try was lost).
func (s *ClientEvents) ClientAdded(ctx context.Context, clientID, adminID int64, email string) (*staas.S3User, error) {
	a, err := eventActor(clientID, adminID)
	if err != nil {
		return nil, err
	}
	email = strings.TrimSpace(email)
	if !validAddress(email) {
		return nil, staas.Errorf(staas.EINVALID, "WHMCS client %d's email address %q is not one an S3 user can have.", clientID, cut(email))
	}
	params := map[string]string{"email": email}
	m, msg, err := func() (*staas.S3User, string, error) {
		m, err := s.store.S3User(ctx, clientID, 0)
		if err == nil {
			return m, fmt.Sprintf("The client already has the S3 user %s (%s).", m.UserID, m.Email), nil
		}
		if staas.ErrorCode(err) != staas.ENOTFOUND {
			return nil, "", err
		}
		m, linked, err := s.makeUser(ctx, a, s.clusters.Default(), email, clientID, 0, fmt.Sprintf("client %d's", clientID))
		if err != nil {
			return m, "", err
		}
		if linked {
			return m, fmt.Sprintf("The S3 user %s (%s) already existed on the gateway, linked to nobody, and is now the client's; a note has its first key pair.", m.UserID, email), nil
		}
		return m, fmt.Sprintf("S3 user %s (%s) created for the new client; a note has its key pair.", m.UserID, email), nil
	}()
	if m != nil {
		params["user_id"] = m.UserID
	}
	s.record(ctx, a, "client-add", params, err, msg)
	return m, err
}

// ClientEmailChanged records that a client's email changed and that its
// S3 users keep their addresses (an S3 user's email cannot change on
// ostor, and the keys the client uses stay valid). Nothing changes on the
// gateway. The same address, or a client without S3 users, is nothing to
// record.
func (s *ClientEvents) ClientEmailChanged(ctx context.Context, clientID, adminID int64, oldEmail, newEmail string) error {
	a, err := eventActor(clientID, adminID)
	if err != nil {
		return err
	}
	oldEmail, newEmail = strings.TrimSpace(oldEmail), strings.TrimSpace(newEmail)
	if strings.EqualFold(oldEmail, newEmail) {
		return nil
	}
	users, err := s.store.S3UsersOfClient(ctx, clientID)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		return nil
	}
	kept := make([]string, len(users))
	for i, u := range users {
		kept[i] = describe(u)
	}
	msg := fmt.Sprintf("The client's email changed from %s to %s in WHMCS; its S3 users keep their addresses: %s.", cut(oldEmail), cut(newEmail), strings.Join(kept, "; "))
	s.log.Info("client email changed; S3 users keep their addresses", "client", clientID, "users", len(users))
	s.record(ctx, a, "client-email-changed", map[string]string{"old_email": cut(oldEmail), "new_email": cut(newEmail)}, nil, msg)
	return nil
}

// describe names an S3 user for a message: id, email and service, and
// its cluster unless it is the one an install without clusters has.
func describe(u staas.S3User) string {
	where := ""
	if u.Cluster != "" && u.Cluster != DefaultCluster {
		where = ", cluster " + u.Cluster
	}
	if u.ServiceID == 0 {
		return fmt.Sprintf("%s (%s, client-level%s)", u.UserID, u.Email, where)
	}
	return fmt.Sprintf("%s (%s, service %d%s)", u.UserID, u.Email, u.ServiceID, where)
}

func userParams(u staas.S3User) map[string]string {
	return map[string]string{"user_id": u.UserID, "service_id": strconv.FormatInt(u.ServiceID, 10)}
}

// ClientClosed disables every S3 user of a client WHMCS has closed, the
// client-level one and each service's: keys stop working, data stays. A
// user disabled already is fine. Every user is tried; the error then
// names those that failed.
func (s *ClientEvents) ClientClosed(ctx context.Context, clientID, adminID int64) error {
	a, err := eventActor(clientID, adminID)
	if err != nil {
		return err
	}
	users, err := s.store.S3UsersOfClient(ctx, clientID)
	if err != nil {
		return err
	}
	var failed []string
	var errs []error
	for _, u := range users {
		err := s.at(u.Cluster).DisableUser(ctx, u.Email)
		msg := fmt.Sprintf("S3 user %s is disabled: the client is closed in WHMCS.", describe(u))
		if staas.ErrorCode(err) == staas.ENOTFOUND {
			s.log.Warn("a closed client's S3 user is gone from the gateway", "client", clientID, "user_id", u.UserID, "service", u.ServiceID)
			err, msg = nil, fmt.Sprintf("S3 user %s is gone from the gateway; nothing to disable.", describe(u))
		}
		s.record(ctx, a, "client-close", userParams(u), err, msg)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %s", describe(u), staas.ErrorMessage(err)))
			errs = append(errs, err)
		}
	}
	s.forgetUsers()
	if len(errs) > 0 {
		return &staas.Error{Code: staas.ErrorCode(errs[0]),
			Message: fmt.Sprintf("%d of the %d S3 users of client %d could not be disabled: %s", len(errs), len(users), clientID, strings.Join(failed, "; ")),
			Err:     errors.Join(errs...)}
	}
	return nil
}

// DeletePolicy says what becomes of a deleted client's S3 users
// (STAAS_CLIENT_DELETE).
type DeletePolicy string

const (
	// DeleteDisable disables every user and keeps it, marked orphaned.
	DeleteDisable DeletePolicy = "disable"
	// DeleteDelete deletes the users without buckets and disables and
	// marks orphaned those with buckets: data is never deleted here.
	DeleteDelete DeletePolicy = "delete"
)

// ClientDeleted deals with the S3 users of a client WHMCS is about to
// delete, per policy ("" is DeleteDisable). No WHMCS note is touched: the
// client's notes go with the client. Nothing is silent: each user gives a
// message line (id, email, client, buckets, what was done) for the WHMCS
// Activity Log, and each orphan a warning in the log. Orphans stay in the
// store until an operator deletes them; DailyReport lists them meanwhile.
// Every user is tried; the messages are returned with the error.
func (s *ClientEvents) ClientDeleted(ctx context.Context, clientID, adminID int64, policy DeletePolicy) (messages []string, err error) {
	a, err := eventActor(clientID, adminID)
	if err != nil {
		return nil, err
	}
	switch policy {
	case "":
		policy = DeleteDisable
	case DeleteDisable, DeleteDelete:
	default:
		return nil, staas.Errorf(staas.EINVALID, "The client delete policy must be %q or %q (got %q).", DeleteDisable, DeleteDelete, cut(string(policy)))
	}
	users, err := s.store.S3UsersOfClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, u := range users {
		msg, err := s.deletedClientUser(ctx, u, policy)
		params := userParams(u)
		params["policy"] = string(policy)
		s.record(ctx, a, "client-delete", params, err, msg)
		if err != nil {
			msg = fmt.Sprintf("S3 user %s of deleted WHMCS client %d: %s", describe(u), clientID, staas.ErrorMessage(err))
			errs = append(errs, err)
		}
		messages = append(messages, msg)
	}
	s.forgetUsers()
	if len(errs) > 0 {
		return messages, &staas.Error{Code: staas.ErrorCode(errs[0]),
			Message: fmt.Sprintf("%d of the %d S3 users of deleted client %d could not be dealt with in full; see the messages.", len(errs), len(users), clientID),
			Err:     errors.Join(errs...)}
	}
	return messages, nil
}

// deletedClientUser deletes one user of a deleted client (policy delete,
// no buckets) or disables it and marks it orphaned, and says which.
func (s *core) deletedClientUser(ctx context.Context, u staas.S3User, policy DeletePolicy) (string, error) {
	who := fmt.Sprintf("S3 user %s of deleted WHMCS client %d", describe(u), u.ClientID)
	if _, err := s.at(u.Cluster).User(ctx, staas.ByID(u.UserID)); staas.ErrorCode(err) == staas.ENOTFOUND {
		if err := s.store.DeleteS3User(ctx, u.ClientID, u.ServiceID); err != nil {
			return "", err
		}
		return who + " was gone from the gateway already; staas forgot it.", nil
	}
	buckets, berr := s.bucketsOf(ctx, &u)
	owns := "owns " + staas.Count(len(buckets), "bucket", "buckets")
	if len(buckets) > 0 {
		owns += ": " + bucketNames(buckets)
	}
	if berr != nil {
		owns = "owns buckets the gateway could not list (" + staas.ErrorMessage(berr) + ")"
	}
	if policy == DeleteDelete && berr == nil && len(buckets) == 0 {
		err := s.at(u.Cluster).DeleteUser(ctx, staas.ByID(u.UserID))
		if err == nil || staas.ErrorCode(err) == staas.ENOTFOUND {
			if err := s.store.DeleteS3User(ctx, u.ClientID, u.ServiceID); err != nil {
				return "", partial(who+" was deleted from the gateway, but staas could not forget it", err)
			}
			return who + " owned no bucket; it is deleted.", nil
		}
		// Not deleted (a bucket made meanwhile, the gateway down): keep
		// it as an orphan like one with buckets, and say why it was not
		// deleted, since the policy asked for that.
		s.log.Warn("a deleted client's S3 user could not be deleted; keeping it as an orphan", "client", u.ClientID, "user_id", u.UserID, "err", err)
		owns += " but could not be deleted (" + staas.ErrorMessage(err) + ")"
	}
	derr := s.at(u.Cluster).DisableUser(ctx, u.Email)
	if merr := s.store.MarkOrphaned(ctx, u.ClientID, u.ServiceID, s.now().UTC()); merr != nil {
		return "", partial(who+" could not be marked orphaned", merr)
	}
	s.log.Warn("S3 user of a deleted WHMCS client kept as an orphan", "client", u.ClientID, "service", u.ServiceID,
		"user_id", u.UserID, "email", u.Email, "buckets", len(buckets), "disabled", derr == nil, "err", errors.Join(berr, derr))
	if derr != nil {
		return "", &staas.Error{Code: staas.ErrorCode(derr),
			Message: fmt.Sprintf("%s %s; it could NOT be disabled (%s) and is kept as an orphan: disable it by hand.", who, owns, staas.ErrorMessage(derr)), Err: derr}
	}
	return fmt.Sprintf("%s %s; it is disabled and kept as an orphan until an operator deletes it.", who, owns), nil
}

// DailyReport says what needs an admin, one line each: every orphaned S3
// user, how many WHMCS note changes still wait in the outbox, and how
// many client events wait for the gateway or were refused (intents.go).
func (s *ClientEvents) DailyReport(ctx context.Context) ([]string, error) {
	orphans, err := s.store.Orphans(ctx)
	if err != nil {
		return nil, err
	}
	lines := []string{}
	for _, u := range orphans {
		lines = append(lines, fmt.Sprintf("Orphaned S3 user %s of deleted WHMCS client %d, since %s: %s; kept with its data until an operator deletes it.",
			describe(u), u.ClientID, u.OrphanedAt.UTC().Format(time.DateOnly), s.orphanState(ctx, u)))
	}
	n, oldest, err := s.store.NoteBacklog(ctx)
	if err != nil {
		return lines, err
	}
	if n > 0 {
		lines = append(lines, fmt.Sprintf("%d WHMCS note change(s) wait in staas's outbox, the oldest since %s: WHMCS has not taken them yet; staas keeps trying.",
			n, oldest.UTC().Format(time.RFC3339)))
	}
	queued, since, failed, err := s.store.IntentBacklog(ctx)
	if err != nil {
		return lines, err
	}
	if queued > 0 {
		lines = append(lines, fmt.Sprintf("staas: %s waiting, the oldest since %s: the gateway has not taken them yet; staas keeps trying.",
			staas.Count(queued, "queued action", "queued actions"), since.UTC().Format(time.RFC3339)))
	}
	if failed > 0 {
		lines = append(lines, fmt.Sprintf("staas: %s refused for good by the gateway; see Pending work on the client's page.",
			staas.Count(failed, "client action was", "client actions were")))
	}
	return lines, nil
}

// orphanState says what the gateway has of an orphan now, as far as it
// answers: the report goes out whether the gateway is up or not.
func (s *core) orphanState(ctx context.Context, u staas.S3User) string {
	gu, err := s.at(u.Cluster).User(ctx, staas.ByID(u.UserID))
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return "gone from the gateway"
	}
	if err != nil {
		return "the gateway could not be asked (" + staas.ErrorMessage(err) + ")"
	}
	state := "disabled"
	if gu.Enabled() {
		state = "ENABLED"
	}
	buckets, err := s.bucketsOf(ctx, &u)
	if err != nil {
		return state + ", buckets unknown (" + staas.ErrorMessage(err) + ")"
	}
	return state + ", " + staas.Count(len(buckets), "bucket", "buckets")
}
