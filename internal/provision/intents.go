package provision

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"staas"
	"staas/internal/schedule"
)

// Durable client events (issue 14). A client event staas accepts from
// WHMCS is written to the store as an intent before staas acts on it, then
// acted on at once. When the gateway cannot be reached (or staas fails
// for a moment) the hook still answers WHMCS with success and a line
// saying the work is queued; RetryIntents does it later, with a delay that
// grows from one minute to one hour, until it is done. A final refusal
// (the gateway says no: invalid, conflict, …) ends the intent as failed,
// shown on the client's page and in the daily report. Each step writes
// an audit row (event-queued, event-done, event-failed).
//
// Every event is safe to apply twice: disabling a disabled user, marking
// an orphan again or deleting a user already gone changes nothing.

// The events kept as intents.
const (
	EventClientClose  = "client-close"
	EventClientDelete = "client-delete"
	EventClientEmail  = "client-email-changed"
)

// Intent timing.
const (
	// intentHold is how long the hook's own attempt keeps an intent from
	// the retry worker; a staas stopped mid-way leaves it to the worker
	// after that.
	intentHold     = 2 * time.Minute
	intentMinDelay = time.Minute
	intentMaxDelay = time.Hour
	intentLeaseTTL = 5 * time.Minute
	intentBatch    = 100
	intentBudget   = 2 * time.Minute // stop picking intents after this long, well within the lease
	// intentKeepDone is how long a done intent stays: long past any retry
	// of its hook by WHMCS; the audit log keeps the record.
	intentKeepDone = 90 * 24 * time.Hour
)

// IntentStore is the part of staas's store the intents use
// (*store.Store).
type IntentStore interface {
	AddIntent(ctx context.Context, in staas.Intent) (int64, error)
	RetryIntent(ctx context.Context, id int64, lastError string, next time.Time) error
	FinishIntent(ctx context.Context, id int64, state, lastError string) error
	DueIntents(ctx context.Context, now time.Time, limit int) ([]staas.Intent, error)
	ClientIntents(ctx context.Context, clientID int64, states ...string) ([]staas.Intent, error)
	RequeueIntent(ctx context.Context, id, clientID int64, now time.Time) error
	PruneDoneIntents(ctx context.Context, cutoff time.Time) (int64, error)
	IntentBacklog(ctx context.Context) (queued int, oldest time.Time, failed int, err error)
}

// ClientClose disables a closed client's S3 users, durably (see the
// comment at the top of this file).
func (s *ClientEvents) ClientClose(ctx context.Context, clientID, adminID int64) ([]string, error) {
	return s.accept(ctx, staas.Intent{ClientID: clientID, AdminID: adminID, Event: EventClientClose})
}

// ClientDelete applies the delete policy to a deleted client's S3 users,
// durably.
func (s *ClientEvents) ClientDelete(ctx context.Context, clientID, adminID int64, policy DeletePolicy) ([]string, error) {
	if policy == "" {
		policy = DeleteDisable
	}
	return s.accept(ctx, staas.Intent{ClientID: clientID, AdminID: adminID, Event: EventClientDelete,
		Params: map[string]string{"policy": string(policy)}})
}

// ClientEmail records a client's email change, durably. An edit that
// changes no address is nothing to keep.
func (s *ClientEvents) ClientEmail(ctx context.Context, clientID, adminID int64, oldEmail, newEmail string) ([]string, error) {
	if oldEmail == "" || strings.EqualFold(strings.TrimSpace(oldEmail), strings.TrimSpace(newEmail)) {
		return nil, nil
	}
	return s.accept(ctx, staas.Intent{ClientID: clientID, AdminID: adminID, Event: EventClientEmail,
		Params: map[string]string{"old_email": cut(oldEmail), "new_email": cut(newEmail)}})
}

// accept records in, acts on it at once and settles it. The intent is
// written first: when it cannot be, nothing is done and the error goes
// back to WHMCS (its hook logs it).
func (s *ClientEvents) accept(ctx context.Context, in staas.Intent) ([]string, error) {
	if _, err := eventActor(in.ClientID, in.AdminID); err != nil {
		return nil, err
	}
	if in.Event == EventClientDelete {
		if p := DeletePolicy(in.Params["policy"]); p != DeleteDisable && p != DeleteDelete {
			return nil, staas.Errorf(staas.EINVALID, "The client delete policy must be %q or %q (got %q).", DeleteDisable, DeleteDelete, cut(string(p)))
		}
	}
	// Most WHMCS clients have no S3 user: their events are nothing to
	// keep. A store that cannot tell keeps the event.
	if users, err := s.store.S3UsersOfClient(ctx, in.ClientID); err == nil && len(users) == 0 {
		return nil, nil
	}
	now := s.now().UTC()
	in.CreatedAt, in.NextAttemptAt = now, now.Add(intentHold)
	id, err := s.store.AddIntent(context.WithoutCancel(ctx), in)
	if err != nil {
		s.log.Error("client event not recorded; nothing was done", "event", in.Event, "client", in.ClientID, "err", err)
		return nil, err
	}
	in.ID, in.State = id, staas.IntentQueued
	lines, err := s.apply(ctx, in)
	lines, _, err = s.settle(ctx, in, lines, err)
	return lines, err
}

// apply does what in says. Each step is safe to do again.
func (s *ClientEvents) apply(ctx context.Context, in staas.Intent) ([]string, error) {
	switch in.Event {
	case EventClientClose:
		return nil, s.ClientClosed(ctx, in.ClientID, in.AdminID)
	case EventClientDelete:
		return s.ClientDeleted(ctx, in.ClientID, in.AdminID, DeletePolicy(in.Params["policy"]))
	case EventClientEmail:
		return nil, s.ClientEmailChanged(ctx, in.ClientID, in.AdminID, in.Params["old_email"], in.Params["new_email"])
	}
	return nil, staas.Errorf(staas.EINVALID, "staas does not know the event %q.", cut(in.Event))
}

// temporary says whether an attempt's error may pass by itself (the
// gateway or the store away, credentials being changed, an unexpected
// answer), so the intent is tried again; anything else is the gateway's
// final word.
func temporary(err error) bool {
	switch staas.ErrorCode(err) {
	case staas.EUNAVAILABLE, staas.EUNAUTHORIZED, staas.EINTERNAL:
		return true
	}
	return false
}

// settle records an attempt's outcome: done, queued for later, or failed.
// A queued intent answers WHMCS with success and a line saying so: the
// work is not lost.
// queued says the intent waits for another attempt (err is then the
// attempt's when the store could not record it).
func (s *ClientEvents) settle(ctx context.Context, in staas.Intent, lines []string, err error) (_ []string, queued bool, _ error) {
	ctx = context.WithoutCancel(ctx)
	what := IntentWhat(in)
	switch {
	case err == nil:
		if ferr := s.store.FinishIntent(ctx, in.ID, staas.IntentDone, ""); ferr != nil {
			s.log.Error("a done client event could not be marked done; it will be applied again (harmlessly)", "intent", in.ID, "err", ferr)
		}
		s.intentAudit(ctx, in, "event-done", "ok", fmt.Sprintf("Done: %s (after %s).", what, staas.Count(in.Attempts+1, "attempt", "attempts")))
		return lines, false, nil
	case temporary(err):
		attempts := in.Attempts + 1
		next := s.now().UTC().Add(intentBackoff(attempts))
		msg := staas.ErrorMessage(err)
		if rerr := s.store.RetryIntent(ctx, in.ID, msg, next); rerr != nil {
			// Still queued and due: the next run tries it again.
			s.log.Error("a client event could not be queued for a retry; it stays due", "intent", in.ID, "err", rerr)
			return lines, true, err
		}
		s.log.Warn("client event queued; staas will try again", "intent", in.ID, "event", in.Event, "client", in.ClientID,
			"attempts", attempts, "next_attempt", next.Format(time.RFC3339), "err", err)
		line := fmt.Sprintf("staas: %s could not be done now (%s); it is queued and staas keeps trying, next at %s UTC: nothing is lost.",
			what, msg, next.Format("2006-01-02 15:04"))
		if in.Attempts == 0 {
			s.intentAudit(ctx, in, "event-queued", "queued", line)
		}
		return append(lines, line), true, nil
	default:
		msg := staas.ErrorMessage(err)
		if ferr := s.store.FinishIntent(ctx, in.ID, staas.IntentFailed, msg); ferr != nil {
			s.log.Error("a refused client event could not be marked failed", "intent", in.ID, "err", ferr)
		}
		s.intentAudit(ctx, in, "event-failed", staas.ErrorCode(err), fmt.Sprintf("Failed for good: %s: %s An admin must look.", what, msg))
		return lines, false, err
	}
}

// intentAudit writes the audit row of an intent's step.
func (s *ClientEvents) intentAudit(ctx context.Context, in staas.Intent, action, result, message string) {
	e := staas.AuditEntry{At: s.now().UTC(), AdminID: in.AdminID, ClientID: in.ClientID, Actor: staas.AuditActorWHMCS, Action: action,
		Params: map[string]string{"event": in.Event, "intent": strconv.FormatInt(in.ID, 10)}, Result: result, Message: message}
	if _, err := s.store.AddAudit(ctx, e); err != nil {
		s.log.Error("audit row not written", "action", action, "intent", in.ID, "err", err)
	}
}

// IntentWhat says what an intent does, in an admin's words (the audit
// rows, the pending work on the client's page).
func IntentWhat(in staas.Intent) string {
	switch in.Event {
	case EventClientClose:
		return fmt.Sprintf("disabling the S3 users of closed client %d", in.ClientID)
	case EventClientDelete:
		return fmt.Sprintf("applying the delete policy %q to the S3 users of deleted client %d", in.Params["policy"], in.ClientID)
	case EventClientEmail:
		return fmt.Sprintf("recording client %d's email change", in.ClientID)
	}
	return fmt.Sprintf("the event %q of client %d", cut(in.Event), in.ClientID)
}

// intentBackoff is the delay after attempts failed attempts: one minute,
// doubling, at most one hour.
func intentBackoff(attempts int) time.Duration {
	d := intentMinDelay
	for i := 1; i < attempts && d < intentMaxDelay; i++ {
		d *= 2
	}
	return min(d, intentMaxDelay)
}

// IntentRun says what one RetryIntents run did.
type IntentRun struct {
	Done, Queued, Failed int
}

// RetryIntents applies the queued intents that are due, oldest first.
// One staas replica runs it at a time (a store lease); the others return
// a zero IntentRun. serve runs it every minute and on WHMCS's daily cron.
func (s *ClientEvents) RetryIntents(ctx context.Context) (IntentRun, error) {
	var run IntentRun
	ctx, release, _, err := schedule.Lease{Store: s.store, Name: schedule.LeaseIntents, Owner: s.owner, TTL: intentLeaseTTL, Now: s.now, Log: s.log}.Hold(ctx)
	if err != nil || release == nil {
		return run, err
	}
	defer release()
	start := time.Now()
	if n, err := s.store.PruneDoneIntents(ctx, s.now().UTC().Add(-intentKeepDone)); err != nil {
		s.log.Warn("done client events not pruned; they are kept until the next run", "err", err)
	} else if n > 0 {
		s.log.Info("done client events pruned", "count", n, "older_than", intentKeepDone.String())
	}
	due, err := s.store.DueIntents(ctx, s.now().UTC(), intentBatch)
	if err != nil {
		return run, err
	}
	for _, in := range due {
		if ctx.Err() != nil || time.Since(start) > intentBudget {
			break
		}
		lines, err := s.apply(ctx, in)
		_, queued, err := s.settle(ctx, in, lines, err)
		switch {
		case queued: // with an error too when the retry was not recorded: still queued
			run.Queued++
		case err != nil:
			run.Failed++
		default:
			run.Done++
		}
	}
	return run, nil
}

// RetryLine is the daily cron's Activity Log line for a RetryIntents run.
func RetryLine(r IntentRun) string {
	return fmt.Sprintf("staas: queued client events: %d done, %d still queued, %d failed.", r.Done, r.Queued, r.Failed)
}

// PendingWork returns the client's queued and failed intents, oldest
// first, for the client's page.
func (p *AdminPanel) PendingWork(ctx context.Context, a Actor) ([]staas.Intent, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	return p.store.ClientIntents(ctx, a.ClientID, staas.IntentQueued, staas.IntentFailed)
}

// RetryPendingWork makes one of the client's queued or failed client
// events due now (the pending work's "Retry now"): staas's retry worker
// runs it within a minute. For a refused event, after the admin removed
// what stood in the way (emptied the buckets a delete needs gone). The
// admin's request is audited as event-retry.
func (p *AdminPanel) RetryPendingWork(ctx context.Context, a Actor, intentID int64) error {
	if err := allow(a, change); err != nil {
		return err
	}
	if intentID <= 0 {
		return fieldsError(FieldErrors{"intent": "Pick a pending action: use the Retry now button of its row."})
	}
	err := p.store.RequeueIntent(ctx, intentID, a.ClientID, p.now().UTC())
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		err = staas.Errorf(staas.ENOTFOUND, "This client has no pending action %d: it may have been done meanwhile.", intentID)
	}
	return err
}

// ModuleQueueReader reads WHMCS's Module Queue (internal/whmcs's bridges,
// over the API's GetModuleQueue or tblmodulequeue).
type ModuleQueueReader interface {
	ModuleQueue(ctx context.Context, clientID int64) ([]staas.ModuleQueueItem, error)
}

// ModuleQueue returns WHMCS's open Module Queue entries for staas's
// services of the client: module calls that failed, for an admin to
// retry in WHMCS. A WHMCS adapter that cannot read the queue gives none.
func (p *AdminPanel) ModuleQueue(ctx context.Context, a Actor) ([]staas.ModuleQueueItem, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	q, ok := p.whmcs.(ModuleQueueReader)
	if !ok {
		return nil, nil
	}
	return q.ModuleQueue(ctx, a.ClientID)
}
