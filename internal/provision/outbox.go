package provision

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"staas"
	"staas/internal/store"
)

// The note outbox: when WHMCS cannot be reached (EUNAVAILABLE) as an
// action adds or removes the guide's note, the change is queued in the
// store and the action still succeeds; DeliverNotes makes queued changes
// later, in the order they were queued per client. Once a client has a
// queued change, that client's later changes are queued behind it too,
// even while WHMCS answers, so they can never overtake it (a "remove all
// of the user's notes" queued by Delete User must not run after the note
// of a user created again since).
//
// No secret is queued: an 'add' names the user and the access key, and
// delivery reads the secret from the gateway. A key revoked (or a user
// deleted) meanwhile has nothing to note: its 'add' is dropped.

// Outbox delivery settings.
const (
	noteLease     = "note-outbox"
	noteLeaseTTL  = 5 * time.Minute
	noteRunBudget = 2 * time.Minute // stop picking rows after this long, well within the lease
	noteBatch     = 100
	noteMaxDelay  = 30 * time.Minute
)

// addNote adds the guide's note of n, or queues it (see the outbox above).
func (s *Service) addNote(ctx context.Context, a Actor, n staas.S3Note) error {
	if s.queueing(ctx, a.ClientID) {
		return s.enqueue(ctx, a, store.NoteAdd, n.UserID, n.AccessKeyID, nil)
	}
	err := s.whmcs.AddS3Note(ctx, a.ClientID, a.Admin.ID, s.noted(n))
	if staas.ErrorCode(err) == staas.EUNAVAILABLE {
		return s.enqueue(ctx, a, store.NoteAdd, n.UserID, n.AccessKeyID, err)
	}
	return err
}

// noted is the note staas writes for n: the guide's, or, when the secret
// stays out of notes (Config.NotesWithoutSecret), the user id and access
// key id only; the note then says where the secret can be revealed.
func (s *Service) noted(n staas.S3Note) staas.S3Note {
	if s.notesWithoutSecret {
		n.SecretAccessKey = ""
	}
	return n
}

// queueing reports whether the client has note changes waiting, which
// later ones must follow. A store that cannot tell is taken as "none":
// the change is then tried at once, as before the outbox existed.
func (s *Service) queueing(ctx context.Context, clientID int64) bool {
	n, err := s.store.PendingNotes(ctx, clientID)
	if err != nil {
		s.log.Warn("could not count the client's queued WHMCS note changes", "client", clientID, "err", err)
		return false
	}
	return n > 0
}

// enqueue queues a note change and tells the admin. cause is WHMCS's
// error, or nil when the change follows earlier queued ones. When the
// change cannot be queued either, the error returned is cause (or the
// store's), and the caller reports the action as partly done.
func (s *Service) enqueue(ctx context.Context, a Actor, op, userID, accessKeyID string, cause error) error {
	ctx = context.WithoutCancel(ctx)
	_, err := s.store.EnqueueNote(ctx, store.NoteOp{ClientID: a.ClientID, AdminID: a.Admin.ID, Op: op,
		UserID: userID, AccessKeyID: accessKeyID, CreatedAt: s.now().UTC()})
	if err != nil {
		s.log.Error("WHMCS note change could not be queued", "client", a.ClientID, "op", op,
			"user_id", userID, "access_key_id", accessKeyID, "whmcs_err", cause, "err", err)
		if cause != nil {
			return cause
		}
		return err
	}
	what := "the note will be written"
	if op == store.NoteRemove {
		what = "the note will be removed"
		if accessKeyID == "" {
			what = "the notes will be removed"
		}
	}
	if cause != nil {
		s.log.Warn("WHMCS unreachable; note change queued", "client", a.ClientID, "op", op,
			"user_id", userID, "access_key_id", accessKeyID, "err", cause)
		s.Info(ctx, a, "WHMCS could not be reached; "+what+" when it answers.")
	} else {
		s.Info(ctx, a, "Earlier changes of this client's WHMCS notes are still waiting for WHMCS; "+what+" after them.")
	}
	return nil
}

// DeliverNotes makes the queued note changes that are due, oldest first
// per client. A change that fails is tried again later, with a growing
// delay (1 minute doubling up to 30), and holds back its client's later
// changes; when WHMCS is unreachable the run stops at once, and when a
// cluster is, only the adds of its users wait (an add reads the secret
// from the user's cluster). An 'add' whose user or key no longer exists, and a change WHMCS
// refuses for good (no such client, invalid), is dropped and logged.
// Only one staas replica delivers at a time (a store lease); the others
// return 0, 0, nil. delivered counts rows done or dropped, failed the
// rows tried again later.
func (s *Service) DeliverNotes(ctx context.Context) (delivered, failed int, err error) {
	got, _, err := s.store.AcquireLease(ctx, noteLease, s.owner, s.now(), noteLeaseTTL)
	if err != nil || !got {
		return 0, 0, err
	}
	defer func() {
		if rerr := s.store.ReleaseLease(context.WithoutCancel(ctx), noteLease, s.owner); rerr != nil {
			s.log.Warn("could not release the note outbox lease", "err", rerr)
		}
	}()
	start := time.Now()
	rows, err := s.store.DueNotes(ctx, s.now(), noteBatch)
	if err != nil {
		return 0, 0, err
	}
	held := map[int64]bool{}  // clients with a failed row in this run
	down := map[string]bool{} // clusters that did not answer in this run
	for _, n := range rows {
		if held[n.ClientID] {
			continue
		}
		if ctx.Err() != nil || time.Since(start) > noteRunBudget {
			break
		}
		cluster := ""
		if n.Op == store.NoteAdd {
			// An add reads the secret from the user's cluster: while that
			// cluster is down its adds wait, and other clusters' go on.
			if cluster = s.noteCluster(ctx, n); down[cluster] {
				continue
			}
		}
		derr := s.deliver(ctx, n, cluster)
		if derr == nil || permanent(derr) {
			if derr != nil {
				s.log.Warn("WHMCS note change dropped", noteAttrs(n, derr)...)
			}
			if err := s.store.DeleteNote(context.WithoutCancel(ctx), n.ID); err != nil {
				return delivered, failed, err
			}
			delivered++
			continue
		}
		failed++
		held[n.ClientID] = true
		attempts := n.Attempts + 1
		next := s.now().Add(backoff(attempts))
		msg := staas.ErrorCode(derr) + ": " + staas.ErrorMessage(derr)
		s.log.Warn("WHMCS note change failed; will try again", append(noteAttrs(n, derr), "attempts", attempts, "next_attempt", next.UTC().Format(time.RFC3339))...)
		if err := s.store.NoteFailed(context.WithoutCancel(ctx), n.ID, msg, next); err != nil {
			return delivered, failed, err
		}
		if staas.ErrorCode(derr) == staas.EUNAVAILABLE {
			var cd clusterDown
			if errors.As(derr, &cd) {
				down[cd.cluster] = true // that cluster's notes wait, the others go on
				continue
			}
			break // WHMCS is down: the rest waits for the next run
		}
	}
	return delivered, failed, nil
}

// noteCluster is the cluster of a queued note's user: the cluster of the
// client's mapping that names it, or the default when none does any more
// (the user is then most likely gone, and the note dropped).
func (s *Service) noteCluster(ctx context.Context, n store.NoteOp) string {
	users, err := s.store.S3UsersOfClient(ctx, n.ClientID)
	if err == nil {
		for _, u := range users {
			if u.UserID == n.UserID {
				return u.Cluster
			}
		}
	}
	return s.clusters.Default()
}

// clusterDown is a note's cluster not answering: only that cluster's
// notes wait.
type clusterDown struct {
	cluster string
	err     error
}

func (c clusterDown) Error() string { return c.err.Error() }
func (c clusterDown) Unwrap() error { return c.err }

// deliver makes one queued change; an add reads the key's secret from
// cluster, its user's.
func (s *Service) deliver(ctx context.Context, n store.NoteOp, cluster string) error {
	a := Actor{Admin: staas.Admin{ID: n.AdminID}, ClientID: n.ClientID}
	switch n.Op {
	case store.NoteAdd:
		u, err := s.at(cluster).User(ctx, staas.ByID(n.UserID))
		if staas.ErrorCode(err) == staas.ENOTFOUND {
			return errDrop("the S3 user no longer exists")
		}
		if staas.ErrorCode(err) == staas.EUNAVAILABLE {
			return clusterDown{cluster, err}
		}
		if err != nil {
			return err
		}
		i := slices.IndexFunc(u.Keys, func(k staas.KeyPair) bool { return k.AccessKeyID == n.AccessKeyID })
		if i < 0 {
			return errDrop("the access key was revoked meanwhile")
		}
		return s.whmcs.AddS3Note(ctx, n.ClientID, n.AdminID, s.noted(staas.S3Note{UserID: n.UserID, AccessKeyID: n.AccessKeyID, SecretAccessKey: u.Keys[i].SecretAccessKey}))
	case store.NoteRemove:
		_, manual, err := s.whmcs.RemoveS3Notes(ctx, n.ClientID, n.AdminID, n.UserID, n.AccessKeyID)
		if err == nil && manual && n.AdminID > 0 {
			s.Info(ctx, a, "The WHMCS API cannot delete notes: a note now says which S3 note to delete by hand.")
		}
		return err
	default:
		return staas.Errorf(staas.EINVALID, "unknown note operation %q", n.Op)
	}
}

// errDrop is a queued change with nothing left to do.
func errDrop(why string) error {
	return &staas.Error{Code: staas.ENOTFOUND, Message: "nothing to note: " + why}
}

// permanent reports whether retrying could never make the change: the
// user, key or WHMCS client is gone, or the change is invalid.
func permanent(err error) bool {
	switch staas.ErrorCode(err) {
	case staas.ENOTFOUND, staas.EINVALID:
		return true
	}
	return false
}

// backoff is the delay before attempt attempts+1: 1 minute, doubling, at
// most noteMaxDelay.
func backoff(attempts int) time.Duration {
	d := time.Minute
	for i := 1; i < attempts && d < noteMaxDelay; i++ {
		d *= 2
	}
	return min(d, noteMaxDelay)
}

// noteAttrs are a row's log fields: ids only, never a secret.
func noteAttrs(n store.NoteOp, err error) []any {
	return []any{"outbox_id", n.ID, "client", n.ClientID, "op", n.Op, "user_id", n.UserID,
		"access_key_id", n.AccessKeyID, "err", err}
}

// leaseOwner names this Service on the outbox lease: host, process and a
// random part, so that two Services never share a name.
func leaseOwner() string {
	host, _ := os.Hostname()
	if len(host) > 64 {
		host = host[:64]
	}
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:10])
}
