package notes_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/standin/testworld"
)

// flakyWHMCS and syncBuffer are the test world's (standin/testworld).
type (
	flakyWHMCS = testworld.FlakyWHMCS
	syncBuffer = testworld.LogBuffer
)

// env is one client's world: the gateway simulator, staas's store, and a
// WHMCS database holding the clients, all real parts, with provision's
// actions writing the notes through the outbox.
type env struct {
	*testworld.World
	svc   *provision.Services
	admin provision.Actor // full permissions on client 1
}

var clients = []staas.Client{
	{ID: 1, FirstName: "Alice", LastName: "Archer", Email: "alice@example.com", Status: "Active"},
	{ID: 2, FirstName: "Bob", LastName: "Baker", Email: "bob@example.com", Status: "Active"},
}

// notes returns the text of client id's notes.
func (e *env) notes(t *testing.T, id int64) []string { return e.Notes(t, id) }

func wantCode(t *testing.T, err error, code string, msgPart string) {
	t.Helper()
	if got := staas.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	if !strings.Contains(staas.ErrorMessage(err), msgPart) {
		t.Fatalf("message %q does not say %q", staas.ErrorMessage(err), msgPart)
	}
}

type outboxEnv struct {
	*env
	whmcs *flakyWHMCS
	logs  *syncBuffer
}

func newOutboxEnv(t *testing.T) *outboxEnv {
	t.Helper()
	w := testworld.New(t, testworld.Options{Clients: clients})
	f := &flakyWHMCS{WHMCS: w.Bridge}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := provision.New(provision.Config{Gateway: w.Gateway, Store: w.Store, WHMCS: f, Now: w.Sim.Now, Logger: log})
	e := &env{World: w, svc: svc,
		admin: provision.Actor{Admin: staas.Admin{ID: 7, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}, ClientID: 1}}
	return &outboxEnv{env: e, whmcs: f, logs: logs}
}

// outbox returns every queued row, due or not.
func (e *outboxEnv) outbox(t *testing.T) []store.NoteOp {
	t.Helper()
	rows, err := e.Store.DueNotes(context.Background(), time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC), 500)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func (e *outboxEnv) deliver(t *testing.T, wantDelivered, wantFailed int) {
	t.Helper()
	d, f, err := e.svc.Notes.Deliver(context.Background())
	if err != nil || d != wantDelivered || f != wantFailed {
		t.Fatalf("Deliver = %d delivered, %d failed, %v; want %d, %d, nil", d, f, err, wantDelivered, wantFailed)
	}
}

func (e *outboxEnv) wantFlash(t *testing.T, part string) {
	t.Helper()
	flashes, err := e.Store.TakeFlashes(context.Background(), 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(flashes) != 1 || flashes[0].Kind != staas.FlashInfo || !strings.Contains(flashes[0].Message, part) {
		t.Fatalf("flashes = %+v, want one info flash saying %q", flashes, part)
	}
}

// secrets returns every secret key of the client's S3 user on the gateway.
func (e *outboxEnv) secrets(t *testing.T) []string {
	t.Helper()
	u, err := e.Gateway.User(context.Background(), ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range u.Keys {
		out = append(out, k.SecretAccessKey)
	}
	return out
}

// wantNoSecret fails when a secret is in any column of the outbox or in
// the logs.
func (e *outboxEnv) wantNoSecret(t *testing.T, secrets ...string) {
	t.Helper()
	rows := fmt.Sprintf("%+v", e.outbox(t)) // NoteOp holds every column (store tests check this)
	logs := e.logs.String()
	for _, s := range secrets {
		if s == "" {
			t.Fatal("empty secret")
		}
		if strings.Contains(rows, s) {
			t.Errorf("a secret key is in the outbox: %s", rows)
		}
		if strings.Contains(logs, s) {
			t.Errorf("a secret key is in the logs")
		}
	}
}

func guideNote(userID string, k ostor.KeyPair) string {
	return "UserId: " + userID + "\nAWSAccessKeyId: " + k.AccessKeyID + "\nAWSSecretAccessKey: " + k.SecretAccessKey
}

func TestOutbox_CreateUserWhileWHMCSIsDown(t *testing.T) {
	e := newOutboxEnv(t)
	ctx := context.Background()
	e.whmcs.Fail(staas.EUNAVAILABLE)
	var u *staas.S3User
	_, err := e.svc.Admin.Run(ctx, e.admin, provision.Action{Name: "create-user", Change: true, Audit: true}, func(ctx context.Context) (string, error) {
		var err error
		u, err = e.svc.Admin.CreateUser(ctx, e.admin)
		return "", err
	})
	if err != nil {
		t.Fatalf("CreateUser while WHMCS is down: %v; want done, the note queued", err)
	}
	// The action is audited as done.
	if audit, _ := e.Store.Audit(ctx, store.AuditFilter{ClientID: 1}); len(audit) != 1 || audit[0].Result != "ok" {
		t.Fatalf("audit = %+v", audit)
	}
	if _, err := e.Gateway.User(ctx, ostor.ByID(u.UserID)); err != nil {
		t.Fatalf("the user is not on the gateway: %v", err)
	}
	e.wantFlash(t, "WHMCS could not be reached; the note will be written when it answers")
	if n := e.notes(t, 1); len(n) != 0 {
		t.Fatalf("notes = %q, want none yet", n)
	}
	rows := e.outbox(t)
	if len(rows) != 1 || rows[0].Op != store.NoteAdd || rows[0].UserID != u.UserID || rows[0].ClientID != 1 || rows[0].AdminID != 7 || rows[0].Attempts != 0 {
		t.Fatalf("outbox = %+v", rows)
	}
	secrets := e.secrets(t)
	e.wantNoSecret(t, secrets...)

	// Still down: the row stays, with one more attempt and the error.
	e.deliver(t, 0, 1)
	rows = e.outbox(t)
	if len(rows) != 1 || rows[0].Attempts != 1 || !strings.Contains(rows[0].LastError, "unavailable") || !rows[0].NextAttemptAt.After(e.Sim.Now()) {
		t.Fatalf("outbox after a failed delivery = %+v", rows)
	}
	// Not due again before its next attempt, even with WHMCS back.
	e.whmcs.Fail("")
	e.deliver(t, 0, 0)

	e.Sim.Advance(2 * time.Minute)
	e.deliver(t, 1, 0)
	gu, err := e.Gateway.User(ctx, ostor.ByID(u.UserID))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.notes(t, 1), guideNote(u.UserID, gu.Keys[0]); len(got) != 1 || got[0] != want {
		t.Fatalf("notes = %q, want exactly the guide's note %q", got, want)
	}
	if rows := e.outbox(t); len(rows) != 0 {
		t.Fatalf("outbox after delivery = %+v", rows)
	}
	e.deliver(t, 0, 0)
	if n := e.notes(t, 1); len(n) != 1 {
		t.Fatalf("notes after another run = %q, want the one note once", n)
	}
	e.wantNoSecret(t, secrets...)
}

func TestOutbox_GenerateThenRevokeWhileDown(t *testing.T) {
	e := newOutboxEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	first := e.notes(t, 1)
	e.whmcs.Fail(staas.EUNAVAILABLE)
	key, err := e.svc.Admin.GenerateKey(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	e.wantFlash(t, "the note will be written when it answers")
	secret := key.SecretAccessKey
	if err := e.svc.Admin.RevokeKey(ctx, e.admin, key.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	// Queued behind the add (the outbox already holds a change).
	e.wantFlash(t, "the note will be removed after them")
	rows := e.outbox(t)
	if len(rows) != 2 || rows[0].Op != store.NoteAdd || rows[1].Op != store.NoteRemove || rows[1].AccessKeyID != key.AccessKeyID {
		t.Fatalf("outbox = %+v", rows)
	}

	e.whmcs.Fail("")
	e.deliver(t, 2, 0)
	if got := e.notes(t, 1); len(got) != 1 || got[0] != first[0] {
		t.Fatalf("notes = %q, want only the first key's %q", got, first)
	}
	if rows := e.outbox(t); len(rows) != 0 {
		t.Fatalf("outbox = %+v", rows)
	}
	if !strings.Contains(e.logs.String(), "revoked meanwhile") {
		t.Errorf("the dropped add is not logged")
	}
	e.wantNoSecret(t, secret)
	e.wantNoSecret(t, e.secrets(t)...)
}

func TestOutbox_RevokeWhileDownRemovesTheNoteOnDelivery(t *testing.T) {
	e := newOutboxEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	key, err := e.svc.Admin.GenerateKey(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.notes(t, 1); len(n) != 2 {
		t.Fatalf("notes = %q", n)
	}
	e.whmcs.Fail(staas.EUNAVAILABLE)
	if err := e.svc.Admin.RevokeKey(ctx, e.admin, key.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	e.wantFlash(t, "WHMCS could not be reached; the note will be removed when it answers")
	if n := e.notes(t, 1); len(n) != 2 {
		t.Fatalf("notes while WHMCS is down = %q", n)
	}
	e.whmcs.Fail("")
	e.deliver(t, 1, 0)
	n := e.notes(t, 1)
	if len(n) != 1 || strings.Contains(n[0], key.AccessKeyID) {
		t.Fatalf("notes after delivery = %q, want only the first key's", n)
	}
	e.wantNoSecret(t, key.SecretAccessKey)
	e.wantNoSecret(t, e.secrets(t)...)
}

// Delete User queued while WHMCS is down, then the user created again
// once it answers: the new note waits behind the queued removal, so the
// removal cannot delete it.
func TestOutbox_LaterChangesWaitBehindQueuedOnes(t *testing.T) {
	e := newOutboxEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	e.whmcs.Fail(staas.EUNAVAILABLE)
	if _, err := e.svc.Admin.DeleteUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	e.wantFlash(t, "the notes will be removed when it answers")
	// Still down at the first run.
	e.deliver(t, 0, 1)
	e.whmcs.Fail("")
	u, err := e.svc.Admin.CreateUser(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	e.wantFlash(t, "the note will be written after them")
	e.Sim.Advance(2 * time.Minute)
	e.deliver(t, 2, 0)
	gu, err := e.Gateway.User(ctx, ostor.ByID(u.UserID))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.notes(t, 1), guideNote(u.UserID, gu.Keys[0]); len(got) != 1 || got[0] != want {
		t.Fatalf("notes = %q, want only the new user's note %q", got, want)
	}
	e.wantNoSecret(t, e.secrets(t)...)
}

// Other WHMCS errors are not queued: the admin learns that part failed.
func TestOutbox_OtherWHMCSErrorsStayPartial(t *testing.T) {
	e := newOutboxEnv(t)
	ctx := context.Background()
	e.whmcs.Fail(staas.EINTERNAL)
	_, err := e.svc.Admin.CreateUser(ctx, e.admin)
	wantCode(t, err, staas.EINTERNAL, "the WHMCS note could not be written")
	if rows := e.outbox(t); len(rows) != 0 {
		t.Fatalf("outbox = %+v, want nothing queued", rows)
	}
}

// A client deleted from WHMCS meanwhile has nowhere for its note: the row
// is dropped, and other clients' rows are delivered.
func TestOutbox_ClientGoneFromWHMCSIsDropped(t *testing.T) {
	e := newOutboxEnv(t)
	ctx := context.Background()
	bob := provision.Actor{Admin: e.admin.Admin, ClientID: 2}
	e.whmcs.Fail(staas.EUNAVAILABLE)
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Admin.CreateUser(ctx, bob); err != nil {
		t.Fatal(err)
	}
	e.whmcs.Fail("")
	if _, err := e.WHMCSDB.Exec(`DELETE FROM tblclients WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	e.deliver(t, 2, 0)
	if n := e.notes(t, 2); len(n) != 1 || !strings.HasPrefix(n[0], "UserId: ") {
		t.Fatalf("Bob's notes = %q", n)
	}
	if rows := e.outbox(t); len(rows) != 0 {
		t.Fatalf("outbox = %+v", rows)
	}
}

// A note removal WHMCS refuses (not an outage, so nothing is queued)
// leaves the mapping in place, so Delete User again finishes the job
// rather than finding no user and leaving the secret's note behind.
func TestDeleteUser_NotesRefusedCanBeRetried(t *testing.T) {
	e := newOutboxEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	e.whmcs.Fail(staas.EINTERNAL)
	if _, err := e.svc.Admin.DeleteUser(ctx, e.admin); err == nil || !strings.Contains(staas.ErrorMessage(err), "Delete User again") {
		t.Fatalf("DeleteUser with WHMCS refusing: %v; want the partial failure and how to retry", err)
	}
	if len(e.Notes(t, 1)) == 0 {
		t.Fatal("the note is gone although WHMCS refused")
	}
	e.whmcs.Fail("")
	if _, err := e.svc.Admin.DeleteUser(ctx, e.admin); err != nil {
		t.Fatalf("Delete User again: %v", err)
	}
	if n := e.Notes(t, 1); len(n) != 0 {
		t.Errorf("notes left after the retry: %q", n)
	}
	if _, err := e.Store.S3User(ctx, 1, 0); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Errorf("mapping after the retry: %v, want none", err)
	}
}
