package provision

import (
	"context"
	"errors"
	"log/slog"

	"staas"
)

// The audit log and the permission checks have one owner: provision.
// Every action records its own outcome (record, or begin before a
// sensitive action and finish after it) and checks its own permission
// (allow, allowService); the admin area's generic steps (may the admin
// press this button at all, the action's check before it is asked, the
// typed confirmation, the run itself) go through AdminPanel's Authorize,
// Check, ConfirmTyped and Run, and what the panels offer through MayView
// and MayChange, so handlers never write an audit row or test a
// permission themselves.

// Action is one button of the admin area as the audit log and the
// permission check know it.
type Action struct {
	// Name is the action's name in the audit log ("delete-user", …).
	Name string
	// Change actions need "Perform Server Operations"; the others only
	// look, and need "View Clients Summary".
	Change bool
	// Audit says whether the action is worth an audit row even when it
	// works and only changes what the admin sees (reveal-secret is;
	// hide-panel isn't). An audited action's row is written before it
	// runs, and it does not run when the row cannot be written.
	Audit bool
	// Params are the action's own parameters as its audit row keeps
	// them: no secrets, bounded.
	Params map[string]string
}

// permission is what an action needs in WHMCS.
func permission(changes bool) string {
	if changes {
		return change
	}
	return view
}

// MayView reports whether a's WHMCS role may use the admin area's
// actions that look ("View Clients Summary"): whether the links and
// panels show at all.
func (s *AdminPanel) MayView(a Actor) bool { return a.Admin.Can(view) }

// MayChange reports whether a's WHMCS role may use the actions that
// change ("Perform Server Operations"): whether the panels offer them,
// and whether a revealed secret is shown.
func (s *AdminPanel) MayChange(a Actor) bool { return a.Admin.Can(change) }

// Authorize checks that a logged-in admin whose role has the action's
// permission acts. A refusal is recorded (not when nobody is logged in:
// there is no admin to name) and returned as EFORBIDDEN.
func (s *AdminPanel) Authorize(ctx context.Context, a Actor, act Action) error {
	perm := permission(act.Change)
	if !a.Admin.Can(perm) || a.Admin.ID <= 0 {
		err := staas.Errorf(staas.EFORBIDDEN, "Your WHMCS role lacks the permission %q.", perm)
		s.record(ctx, a, act.Name, act.Params, err, "")
		return err
	}
	return nil
}

// Check runs an action's own check (is the key the client's, is the
// bucket empty enough, …) before the action is asked or run: a refusal
// is recorded and returned, so a confirmation is never asked for what
// would be refused.
func (s *AdminPanel) Check(ctx context.Context, a Actor, act Action, check func() error) error {
	if err := check(); err != nil {
		s.record(ctx, a, act.Name, act.Params, err, "")
		return err
	}
	return nil
}

// ConfirmTyped checks the name an admin typed to confirm an action that
// deletes data against want, the name of what it deletes. A mismatch (or
// nothing to type) is refused as EINVALID and recorded: nothing is
// deleted.
func (s *AdminPanel) ConfirmTyped(ctx context.Context, a Actor, act Action, want, typed string) error {
	if want != "" && typed == want {
		return nil
	}
	err := staas.Errorf(staas.EINVALID, "The name typed to confirm was not %s, so nothing was deleted.", want)
	s.record(ctx, a, act.Name, act.Params, err, "")
	return err
}

// Run runs an admin action and records it. An audited action's row is
// written before it runs (begin) and completed with its outcome (finish);
// when the row cannot be written the action does not run, and the error
// says so (NotRecorded). Any other action is recorded when it fails. The
// admin's flash shows okMessage or the failure.
func (s *AdminPanel) Run(ctx context.Context, a Actor, act Action, run func(ctx context.Context) (okMessage string, err error)) (string, error) {
	if act.Audit {
		id, err := s.begin(ctx, a, act.Name, act.Params)
		if err != nil {
			return "", err
		}
		msg, err := run(ctx)
		s.finish(ctx, a, id, act.Name, err, msg)
		return msg, err
	}
	msg, err := run(ctx)
	if err != nil {
		s.record(ctx, a, act.Name, act.Params, err, msg)
	}
	return msg, err
}

// notRecorded marks the refusal of an action whose audit row could not be
// written.
type notRecorded struct{ error }

func (e notRecorded) Unwrap() error { return e.error }

// NotRecorded reports whether err refused an action because its audit row
// could not be written: nothing ran, and the refusal is the admin's flash.
func NotRecorded(err error) bool {
	var n notRecorded
	return errors.As(err, &n)
}

// record writes the audit row of an action, naming its actor, and leaves
// the admin who acted (Admin.ID > 0, also when they clicked a WHMCS module
// button) a flash: success shows okMessage (no flash when it is ""),
// failure shows the error's admin-safe message. A client, or WHMCS's cron,
// gets the audit row but no flash: nobody would read it. An admin action
// without an admin (refused before anything happened) is not recorded.
// Params must not hold secrets. Recording is best effort: a store failure
// is logged and never hides the action's own result.
func (s *core) record(ctx context.Context, a Actor, action string, params map[string]string, err error, okMessage string) {
	entry := staas.AuditEntry{At: s.now().UTC(), AdminID: a.Admin.ID, AdminName: a.Admin.Name, ClientID: a.ClientID, Actor: a.Kind.auditActor(),
		Action: action, Params: params}
	var flash staas.Flash
	entry.Result, entry.Message, flash = s.outcome(ctx, a, action, err, okMessage)
	// A cancelled request still gets its audit row and flash.
	ctx = context.WithoutCancel(ctx)
	if a.ClientID <= 0 || (a.Kind == ActorAdmin && a.Admin.ID <= 0) {
		return
	}
	if _, aerr := s.store.AddAudit(ctx, entry); aerr != nil {
		s.log.Error("audit row not written", "action", action, "actor", entry.Actor, "admin", a.Admin.ID, "client", a.ClientID, "err", aerr)
	}
	s.leaveFlash(ctx, a, action, flash)
}

// AuditStarted is the result of an audit row written before its action
// ran (begin); finish replaces it with the outcome. A row that keeps it
// belongs to an action that was cut short (staas stopped mid-way).
const AuditStarted = "started"

// begin writes the audit row of an action that is about to run, with the
// result AuditStarted, and returns its id for finish. It is how a
// sensitive action (revealing a secret, deleting, disabling, …) is
// recorded before it acts: when the row cannot be written, Begin returns
// an EUNAVAILABLE error (NotRecorded) and the action must not run. Params must not hold
// secrets and must be bounded (the caller keeps only the action's own
// parameters, each clipped).
func (s *core) begin(ctx context.Context, a Actor, action string, params map[string]string) (int64, error) {
	if a.ClientID <= 0 || (a.Kind == ActorAdmin && a.Admin.ID <= 0) {
		return 0, &staas.Error{Code: staas.EINVALID, Message: "Nothing was done: the action names no client or no admin to record.",
			Err: notRecorded{errors.New("no client or admin to record")}}
	}
	entry := staas.AuditEntry{At: s.now().UTC(), AdminID: a.Admin.ID, AdminName: a.Admin.Name, ClientID: a.ClientID, Actor: a.Kind.auditActor(),
		Action: action, Params: params, Result: AuditStarted}
	id, err := s.store.AddAudit(context.WithoutCancel(ctx), entry)
	if err != nil {
		s.log.Error("audit row not written; the action was refused", "action", action, "actor", entry.Actor, "admin", a.Admin.ID, "client", a.ClientID, "err", err)
		refusal := &staas.Error{Code: staas.EUNAVAILABLE,
			Message: "Nothing was done: staas could not record this action in its audit log. Try again; if it keeps failing, staas's store needs a look (its log says why).",
			Err:     notRecorded{err}}
		s.leaveFlash(context.WithoutCancel(ctx), a, action, staas.Flash{Kind: staas.FlashError, Message: refusal.Message})
		return 0, refusal
	}
	return id, nil
}

// finish completes the audit row begin wrote with the action's outcome
// and leaves the admin's flash, as record does. A failure to complete the
// row is logged; the row already says the action was started.
func (s *core) finish(ctx context.Context, a Actor, id int64, action string, err error, okMessage string) {
	result, message, flash := s.outcome(ctx, a, action, err, okMessage)
	ctx = context.WithoutCancel(ctx)
	if ferr := s.store.FinishAudit(ctx, id, result, message); ferr != nil {
		s.log.Error("audit row not completed", "action", action, "id", id, "admin", a.Admin.ID, "client", a.ClientID, "err", ferr)
	}
	s.leaveFlash(ctx, a, action, flash)
}

// outcome is how an action ended, as the audit log and the flash say it.
func (s *core) outcome(ctx context.Context, a Actor, action string, err error, okMessage string) (result, message string, flash staas.Flash) {
	if err == nil {
		return "ok", okMessage, staas.Flash{Kind: staas.FlashSuccess, Message: okMessage}
	}
	result, message = staas.ErrorCode(err), staas.ErrorMessage(err)
	// The admin reads the sentence; the log keeps what lies beneath it
	// (the gateway's own words, its request id).
	level := slog.LevelWarn
	if result == staas.EINTERNAL {
		level = slog.LevelError
	}
	s.log.Log(ctx, level, "action failed", "action", action, "admin", a.Admin.ID, "client", a.ClientID, "code", result, "err", staas.ErrorDetail(err))
	return result, message, staas.Flash{Kind: staas.FlashError, Message: message}
}

// leaveFlash tells the admin who acted (not a client, not WHMCS's cron).
func (s *core) leaveFlash(ctx context.Context, a Actor, action string, flash staas.Flash) {
	if a.Admin.ID > 0 && a.ClientID > 0 && a.Kind != ActorClient && flash.Message != "" {
		if ferr := s.store.AddFlash(ctx, a.Admin.ID, a.ClientID, flash); ferr != nil {
			s.log.Error("flash not written", "action", action, "err", ferr)
		}
	}
}

// info leaves the admin an informational flash (a warning that does not
// make the action fail). Without an admin (a client, WHMCS's cron) there
// is nobody to tell, and nothing is written.
func (s *core) info(ctx context.Context, a Actor, message string) {
	if a.Admin.ID <= 0 || a.ClientID <= 0 || a.Kind == ActorClient {
		return
	}
	if err := s.store.AddFlash(context.WithoutCancel(ctx), a.Admin.ID, a.ClientID, staas.Flash{Kind: staas.FlashInfo, Message: message}); err != nil {
		s.log.Error("flash not written", "err", err)
	}
}
