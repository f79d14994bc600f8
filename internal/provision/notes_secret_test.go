package provision_test

import (
	"context"
	"strings"
	"testing"

	"staas"
	"staas/internal/provision"
	"staas/internal/whmcs"
)

// With NotesWithoutSecret (serve's default), Create User and Generate
// Access Key write notes that name the user and the key and say where to
// reveal the secret, never the secret; Revoke and Delete still find and
// remove them.
func TestNotesWithoutSecret(t *testing.T) {
	e := newEnv(t)
	e.svc = provision.New(provision.Config{Gateway: e.Gateway, Store: e.Store, WHMCS: e.Bridge, Now: e.Sim.Now, NotesWithoutSecret: true})
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	k, err := e.svc.Admin.GenerateKey(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.Gateway.User(ctx, staas.ByEmail("alice@example.com"))
	if err != nil || len(u.Keys) != 2 {
		t.Fatalf("user %+v, %v", u, err)
	}
	notes := e.notes(t, 1)
	if len(notes) != 2 {
		t.Fatalf("notes = %q, want 2", notes)
	}
	all := strings.Join(notes, "\n")
	for _, key := range u.Keys {
		if strings.Contains(all, key.SecretAccessKey) {
			t.Errorf("a note holds the secret of %s:\n%s", key.AccessKeyID, all)
		}
		if !strings.Contains(all, "AWSAccessKeyId: "+key.AccessKeyID) {
			t.Errorf("no note names the key %s", key.AccessKeyID)
		}
	}
	if !strings.Contains(all, "UserId: "+u.ID) || !strings.Contains(all, whmcs.NoteSecretWithheld) {
		t.Errorf("notes do not name the user and where to reveal the secret:\n%s", all)
	}
	if err := e.svc.Admin.RevokeKey(ctx, e.admin, k.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if notes := e.notes(t, 1); len(notes) != 1 || strings.Contains(notes[0], k.AccessKeyID) {
		t.Errorf("after Revoke the notes are %q", notes)
	}

	// The guide's note, secret included, stays the zero value's.
	e2 := newEnv(t)
	if _, err := e2.svc.Admin.CreateUser(ctx, e2.admin); err != nil {
		t.Fatal(err)
	}
	u2, _ := e2.Gateway.User(ctx, staas.ByEmail("alice@example.com"))
	if notes := e2.notes(t, 1); len(notes) != 1 || !strings.Contains(notes[0], "AWSSecretAccessKey: "+u2.Keys[0].SecretAccessKey) {
		t.Errorf("the guide's note: %q", notes)
	}
}
