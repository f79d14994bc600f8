package notes_test

import (
	"context"
	"sync"
	"testing"

	"staas"
	"staas/internal/notes"
	"staas/standin/testworld"
)

// fakeWHMCS records the notes written and can be made unreachable.
type fakeWHMCS struct {
	mu    sync.Mutex
	down  bool
	notes []staas.S3Note
}

func (f *fakeWHMCS) AddS3Note(_ context.Context, _, _ int64, n staas.S3Note) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return staas.Errorf(staas.EUNAVAILABLE, "WHMCS does not answer")
	}
	f.notes = append(f.notes, n)
	return nil
}

func (f *fakeWHMCS) RemoveS3Notes(context.Context, int64, int64, string, string) (int, bool, error) {
	return 0, false, nil
}

// fakeSecrets reads every secret from one source.
type fakeSecrets func(ctx context.Context, source, userID, accessKeyID string) (string, error)

func (f fakeSecrets) Source(context.Context, int64, string) (string, error) { return "default", nil }
func (f fakeSecrets) Secret(ctx context.Context, source, userID, accessKeyID string) (string, error) {
	return f(ctx, source, userID, accessKeyID)
}

// The outbox stands on its own interfaces: a note WHMCS cannot take is
// queued without its secret and delivered with the secret read at
// delivery (left out when notes carry no secret); a key gone meanwhile is
// dropped.
func TestOutbox_OwnInterfaces(t *testing.T) {
	for _, withoutSecret := range []bool{false, true} {
		w := testworld.New(t, testworld.Options{Clients: clients})
		wh := &fakeWHMCS{down: true}
		secrets := map[string]string{"AK1": "s3cr3t"}
		o := notes.New(notes.Config{Store: w.Store, WHMCS: wh, Now: w.Sim.Now, WithoutSecret: withoutSecret,
			Secrets: fakeSecrets(func(_ context.Context, _, userID, key string) (string, error) {
				if s, ok := secrets[key]; ok {
					return s, nil
				}
				return "", staas.Errorf(staas.ENOTFOUND, "the access key was revoked meanwhile")
			})})
		ctx := context.Background()
		if err := o.Add(ctx, 1, 7, staas.S3Note{UserID: "u1", AccessKeyID: "AK1", SecretAccessKey: "s3cr3t"}); err != nil {
			t.Fatal(err)
		}
		if err := o.Add(ctx, 2, 7, staas.S3Note{UserID: "u2", AccessKeyID: "AK2", SecretAccessKey: "gone"}); err != nil {
			t.Fatal(err)
		}
		if f, _ := w.Store.TakeFlashes(ctx, 7, 1); len(f) != 1 || f[0].Kind != staas.FlashInfo {
			t.Fatalf("flashes = %+v, want the admin told the note is queued", f)
		}
		wh.mu.Lock()
		wh.down = false
		wh.mu.Unlock()
		if d, f, err := o.Deliver(ctx); d != 2 || f != 0 || err != nil {
			t.Fatalf("Deliver = %d, %d, %v; want 2 done (one dropped)", d, f, err)
		}
		want := "s3cr3t"
		if withoutSecret {
			want = ""
		}
		if len(wh.notes) != 1 || wh.notes[0].AccessKeyID != "AK1" || wh.notes[0].SecretAccessKey != want {
			t.Fatalf("notes written = %+v, want AK1's with secret %q", wh.notes, want)
		}
	}
}

// lostSource cannot say which cluster a user is on (its store failed).
type lostSource struct{ fakeSecrets }

func (lostSource) Source(context.Context, int64, string) (string, error) {
	return "", staas.Errorf(staas.EUNAVAILABLE, "store: the database could not be reached")
}

// When the store cannot say which cluster a queued note's user is on, the
// run stops with the error and the note stays queued: it is never looked
// up on a guessed cluster and dropped as gone.
func TestOutbox_UnknownSourceKeepsTheNote(t *testing.T) {
	w := testworld.New(t, testworld.Options{Clients: clients})
	wh := &fakeWHMCS{down: true}
	o := notes.New(notes.Config{Store: w.Store, WHMCS: wh, Now: w.Sim.Now,
		Secrets: lostSource{fakeSecrets(func(context.Context, string, string, string) (string, error) {
			return "", staas.Errorf(staas.ENOTFOUND, "the S3 user no longer exists")
		})}})
	ctx := context.Background()
	if err := o.Add(ctx, 1, 7, staas.S3Note{UserID: "u1", AccessKeyID: "AK1", SecretAccessKey: "s3cr3t"}); err != nil {
		t.Fatal(err)
	}
	wh.mu.Lock()
	wh.down = false
	wh.mu.Unlock()
	if d, _, err := o.Deliver(ctx); err == nil || d != 0 {
		t.Fatalf("Deliver = %d, %v; want the store's error and nothing done", d, err)
	}
	if n, err := w.Store.PendingNotes(ctx, 1); err != nil || n != 1 {
		t.Fatalf("pending notes = %d, %v; want the note still queued", n, err)
	}
}
