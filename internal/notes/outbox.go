// Package notes keeps the client notes of the vendor's S3 guide in WHMCS
// (the user id and access key an action created, or the note to remove)
// even while WHMCS cannot be reached: the note outbox.
//
// When WHMCS is unreachable (EUNAVAILABLE) as an action adds or removes a
// note, the change is queued in staas's store and the action still
// succeeds; Deliver makes queued changes later, in the order they were
// queued per client. Once a client has a queued change, that client's
// later changes are queued behind it too, even while WHMCS answers, so
// they can never overtake it (a "remove all of the user's notes" queued
// by Delete User must not run after the note of a user created again
// since).
//
// No secret is queued: an 'add' names the user and the access key, and
// delivery reads the secret through Secrets (provision, over the
// gateway). A key revoked (or a user deleted) meanwhile has nothing to
// note: its 'add' is dropped.
//
// provision decides when a note is written; this package only writes,
// queues and delivers it.
package notes

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"staas"
	"staas/internal/schedule"
	"staas/internal/store"
)

// Outbox delivery settings.
const (
	noteLeaseTTL  = 5 * time.Minute
	noteRunBudget = 2 * time.Minute // stop picking rows after this long, well within the lease
	noteBatch     = 100
	noteMaxDelay  = 30 * time.Minute
)

// Store is the part of staas's store the outbox uses (*store.Store): its
// queue, the lease that lets one replica deliver at a time, and the
// admin's flashes.
type Store interface {
	EnqueueNote(ctx context.Context, n store.NoteOp) (int64, error)
	DueNotes(ctx context.Context, now time.Time, limit int) ([]store.NoteOp, error)
	PendingNotes(ctx context.Context, clientID int64) (int, error)
	NoteFailed(ctx context.Context, id int64, lastError string, next time.Time) error
	DeleteNote(ctx context.Context, id int64) error
	AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, string, error)
	ReleaseLease(ctx context.Context, name, owner string) error
	AddFlash(ctx context.Context, adminID, clientID int64, f staas.Flash) error
}

// WHMCS is how the guide's notes are written and removed in WHMCS (the
// WHMCS adapter, over its API or its database).
type WHMCS interface {
	AddS3Note(ctx context.Context, clientID, adminID int64, n staas.S3Note) error
	RemoveS3Notes(ctx context.Context, clientID, adminID int64, userID, accessKeyID string) (removed int, manual bool, err error)
}

// Secrets reads the secret of a queued 'add' when it is delivered, from
// the user's storage cluster (provision, over the cluster registry).
type Secrets interface {
	// Source names where the secret of a client's user is read (its
	// cluster): while one source does not answer, only its adds wait and
	// the other clusters' notes go on.
	Source(ctx context.Context, clientID int64, userID string) (string, error)
	// Secret returns the secret of the user's access key, read from
	// source, or an ENOTFOUND error whose message says what is gone (the
	// user, the key): the change is then dropped.
	Secret(ctx context.Context, source, userID, accessKeyID string) (string, error)
}

// Config assembles an Outbox.
type Config struct {
	Store   Store
	WHMCS   WHMCS
	Secrets Secrets
	Logger  *slog.Logger
	Now     func() time.Time
	// WithoutSecret keeps the secret key out of the notes: they name the
	// user and the access key and say where the secret can be revealed
	// (provision.Config.NotesWithoutSecret).
	WithoutSecret bool
}

// Outbox writes the guide's notes now, or queues them while WHMCS cannot
// take them, and delivers what is queued. It is safe for concurrent use.
type Outbox struct {
	store         Store
	whmcs         WHMCS
	secrets       Secrets
	log           *slog.Logger
	now           func() time.Time
	owner         string // this Outbox's name on the delivery lease
	withoutSecret bool
}

// New returns an Outbox.
func New(c Config) *Outbox {
	o := &Outbox{store: c.Store, whmcs: c.WHMCS, secrets: c.Secrets, log: c.Logger, now: c.Now, withoutSecret: c.WithoutSecret}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.now == nil {
		o.now = time.Now
	}
	o.owner = schedule.Owner()
	return o
}

// Add adds the guide's note of n to the client's notes, or queues it (see
// the package comment). adminID is the admin who acted, told when the
// note is queued (0: nobody to tell).
func (o *Outbox) Add(ctx context.Context, clientID, adminID int64, n staas.S3Note) error {
	if o.queueing(ctx, clientID) {
		return o.enqueue(ctx, clientID, adminID, store.NoteAdd, n.UserID, n.AccessKeyID, nil)
	}
	err := o.whmcs.AddS3Note(ctx, clientID, adminID, o.noted(n))
	if staas.ErrorCode(err) == staas.EUNAVAILABLE {
		return o.enqueue(ctx, clientID, adminID, store.NoteAdd, n.UserID, n.AccessKeyID, err)
	}
	return err
}

// Queue queues the 'add' of n whatever WHMCS would answer, as a note no
// retry would write again must not be lost; cause is why it was not
// written at once. The secret is not queued.
func (o *Outbox) Queue(ctx context.Context, clientID, adminID int64, n staas.S3Note, cause error) error {
	return o.enqueue(ctx, clientID, adminID, store.NoteAdd, n.UserID, n.AccessKeyID, cause)
}

// Remove removes the notes of the user's access key (every note of the
// user when accessKeyID is "") and tells the admin when WHMCS's API
// cannot. While WHMCS is unreachable, or earlier changes of the client's
// notes still wait, the removal is queued instead (see Add).
func (o *Outbox) Remove(ctx context.Context, clientID, adminID int64, userID, accessKeyID string) error {
	if o.queueing(ctx, clientID) {
		return o.enqueue(ctx, clientID, adminID, store.NoteRemove, userID, accessKeyID, nil)
	}
	_, manual, err := o.whmcs.RemoveS3Notes(ctx, clientID, adminID, userID, accessKeyID)
	if staas.ErrorCode(err) == staas.EUNAVAILABLE {
		return o.enqueue(ctx, clientID, adminID, store.NoteRemove, userID, accessKeyID, err)
	}
	if err != nil {
		return err
	}
	if manual {
		o.info(ctx, clientID, adminID, "The WHMCS API cannot delete notes: a note now says which S3 note to delete by hand.")
	}
	return nil
}

// noted is the note staas writes for n: the guide's, or, when the secret
// stays out of notes (Config.WithoutSecret), the user id and access key
// id only; the note then says where the secret can be revealed.
func (o *Outbox) noted(n staas.S3Note) staas.S3Note {
	if o.withoutSecret {
		n.SecretAccessKey = ""
	}
	return n
}

// queueing reports whether the client has note changes waiting, which
// later ones must follow. A store that cannot tell is taken as "none":
// the change is then tried at once, as before the outbox existed.
func (o *Outbox) queueing(ctx context.Context, clientID int64) bool {
	n, err := o.store.PendingNotes(ctx, clientID)
	if err != nil {
		o.log.Warn("could not count the client's queued WHMCS note changes", "client", clientID, "err", err)
		return false
	}
	return n > 0
}

// enqueue queues a note change and tells the admin. cause is WHMCS's
// error, or nil when the change follows earlier queued ones. When the
// change cannot be queued either, the error returned is cause (or the
// store's), and the caller reports the action as partly done.
func (o *Outbox) enqueue(ctx context.Context, clientID, adminID int64, op, userID, accessKeyID string, cause error) error {
	ctx = context.WithoutCancel(ctx)
	_, err := o.store.EnqueueNote(ctx, store.NoteOp{ClientID: clientID, AdminID: adminID, Op: op,
		UserID: userID, AccessKeyID: accessKeyID, CreatedAt: o.now().UTC()})
	if err != nil {
		o.log.Error("WHMCS note change could not be queued", "client", clientID, "op", op,
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
		o.log.Warn("WHMCS unreachable; note change queued", "client", clientID, "op", op,
			"user_id", userID, "access_key_id", accessKeyID, "err", cause)
		o.info(ctx, clientID, adminID, "WHMCS could not be reached; "+what+" when it answers.")
	} else {
		o.info(ctx, clientID, adminID, "Earlier changes of this client's WHMCS notes are still waiting for WHMCS; "+what+" after them.")
	}
	return nil
}

// info leaves the admin who acted an informational flash on the client's
// page. Without an admin (a client, WHMCS's cron) there is nobody to
// tell, and nothing is written.
func (o *Outbox) info(ctx context.Context, clientID, adminID int64, message string) {
	if adminID <= 0 || clientID <= 0 {
		return
	}
	if err := o.store.AddFlash(context.WithoutCancel(ctx), adminID, clientID, staas.Flash{Kind: staas.FlashInfo, Message: message}); err != nil {
		o.log.Error("flash not written", "err", err)
	}
}

// Deliver makes the queued note changes that are due, oldest first per
// client. A change that fails is tried again later, with a growing delay
// (1 minute doubling up to 30), and holds back its client's later
// changes; when WHMCS is unreachable the run stops at once, and when a
// cluster is, only the adds of its users wait (an add reads the secret
// from the user's cluster). An 'add' whose user or key no longer exists, and a change WHMCS
// refuses for good (no such client, invalid), is dropped and logged.
// Only one staas replica delivers at a time (a store lease); the others
// return 0, 0, nil. delivered counts rows done or dropped, failed the
// rows tried again later.
func (o *Outbox) Deliver(ctx context.Context) (delivered, failed int, err error) {
	ctx, release, _, err := schedule.Lease{Store: o.store, Name: schedule.LeaseNotes, Owner: o.owner, TTL: noteLeaseTTL, Now: o.now, Log: o.log}.Hold(ctx)
	if err != nil || release == nil {
		return 0, 0, err
	}
	defer release()
	start := time.Now()
	rows, err := o.store.DueNotes(ctx, o.now(), noteBatch)
	if err != nil {
		return 0, 0, err
	}
	held := map[int64]bool{}  // clients with a failed row in this run
	down := map[string]bool{} // secret sources (clusters) that did not answer in this run
loop:
	for _, n := range rows {
		if held[n.ClientID] {
			continue
		}
		if ctx.Err() != nil || time.Since(start) > noteRunBudget {
			break
		}
		source := ""
		if n.Op == store.NoteAdd {
			// An add reads the secret from the user's cluster: while that
			// cluster is down its adds wait, and other clusters' go on.
			s, err := o.secrets.Source(ctx, n.ClientID, n.UserID)
			if err != nil {
				return delivered, failed, err // the store: the run stops, nothing dropped
			}
			if source = s; down[source] {
				held[n.ClientID] = true
				continue
			}
		}
		derr := o.deliver(ctx, n, source)
		if derr == nil || permanent(derr) {
			if derr != nil {
				o.log.Warn("WHMCS note change dropped", noteAttrs(n, derr)...)
			}
			if err := o.store.DeleteNote(context.WithoutCancel(ctx), n.ID); err != nil {
				return delivered, failed, err
			}
			delivered++
			continue
		}
		failed++
		held[n.ClientID] = true
		attempts := n.Attempts + 1
		next := o.now().Add(backoff(attempts))
		msg := staas.ErrorCode(derr) + ": " + staas.ErrorMessage(derr)
		o.log.Warn("WHMCS note change failed; will try again", append(noteAttrs(n, derr), "attempts", attempts, "next_attempt", next.UTC().Format(time.RFC3339))...)
		if err := o.store.NoteFailed(context.WithoutCancel(ctx), n.ID, msg, next); err != nil {
			return delivered, failed, err
		}
		var sd sourceDown
		switch {
		case errors.As(derr, &sd):
			down[sd.source] = true // that cluster's adds wait, the others go on
		case staas.ErrorCode(derr) == staas.EUNAVAILABLE:
			break loop // WHMCS is down: the rest waits for the next run
		}
	}
	return delivered, failed, nil
}

// sourceDown is the secret source (cluster) of an add not answering:
// only that source's adds wait.
type sourceDown struct {
	source string
	err    error
}

func (e sourceDown) Error() string { return e.err.Error() }
func (e sourceDown) Unwrap() error { return e.err }

// deliver makes one queued change; an add reads its key's secret from
// source.
func (o *Outbox) deliver(ctx context.Context, n store.NoteOp, source string) error {
	switch n.Op {
	case store.NoteAdd:
		secret, err := o.secrets.Secret(ctx, source, n.UserID, n.AccessKeyID)
		if staas.ErrorCode(err) == staas.ENOTFOUND {
			return errDrop(staas.ErrorMessage(err))
		}
		if staas.ErrorCode(err) == staas.EUNAVAILABLE {
			return sourceDown{source, err}
		}
		if err != nil {
			return err
		}
		return o.whmcs.AddS3Note(ctx, n.ClientID, n.AdminID, o.noted(staas.S3Note{UserID: n.UserID, AccessKeyID: n.AccessKeyID, SecretAccessKey: secret}))
	case store.NoteRemove:
		_, manual, err := o.whmcs.RemoveS3Notes(ctx, n.ClientID, n.AdminID, n.UserID, n.AccessKeyID)
		if err == nil && manual && n.AdminID > 0 {
			o.info(ctx, n.ClientID, n.AdminID, "The WHMCS API cannot delete notes: a note now says which S3 note to delete by hand.")
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
