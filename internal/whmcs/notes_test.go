package whmcs

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"staas"
)

var (
	noteA1 = staas.S3Note{UserID: "ca55631f9f3d59dc", AccessKeyID: "ca55631f9f3d59dcDF4M", SecretAccessKey: "QCb17BzeepyvUAdJeFNFYW9fCzbq0uFa16e5pGm"}
	noteA2 = staas.S3Note{UserID: "ca55631f9f3d59dc", AccessKeyID: "ca55631f9f3d59dcZMDX", SecretAccessKey: "ffWvn0cNiH0jkQod4huv51BMYBuSWS4zRLFVwd4d"}
	// noteB's user id starts with noteA's: LIKE '%id%' would take it too.
	noteB = staas.S3Note{UserID: "ca55631f9f3d59dc00", AccessKeyID: "ca55631f9f3d59dc00K1", SecretAccessKey: "secretB/+="}
)

func TestFormatS3Note(t *testing.T) {
	got := FormatS3Note(noteA1)
	want := "UserId: ca55631f9f3d59dc\nAWSAccessKeyId: ca55631f9f3d59dcDF4M\nAWSSecretAccessKey: QCb17BzeepyvUAdJeFNFYW9fCzbq0uFa16e5pGm"
	if got != want {
		t.Fatalf("got %q", got)
	}
	for _, text := range []string{want, want + "\n", strings.ReplaceAll(want, "\n", "\r\n"), strings.ReplaceAll(want, "\n", "\r\n") + "\r\n"} {
		if n, ok := ParseS3Note(text); !ok || n != noteA1 {
			t.Errorf("ParseS3Note(%q) = %+v, %v", text, n, ok)
		}
	}
}

// A note without its secret (STAAS_NOTES_WITH_SECRET=false) keeps the
// guide's three lines, the last saying where to reveal the secret, and
// staas still recognises it to remove it.
func TestFormatS3Note_WithoutSecret(t *testing.T) {
	n := staas.S3Note{UserID: noteA1.UserID, AccessKeyID: noteA1.AccessKeyID}
	got := FormatS3Note(n)
	want := "UserId: ca55631f9f3d59dc\nAWSAccessKeyId: ca55631f9f3d59dcDF4M\nAWSSecretAccessKey: " + NoteSecretWithheld
	if got != want {
		t.Fatalf("got %q", got)
	}
	if strings.Contains(got, noteA1.SecretAccessKey) || !strings.Contains(got, "Reveal") {
		t.Errorf("note %q: want no secret and where to reveal it", got)
	}
	if back, ok := ParseS3Note(got); !ok || back != n {
		t.Errorf("ParseS3Note = %+v, %v", back, ok)
	}
}

func TestParseS3NoteRefuses(t *testing.T) {
	good := FormatS3Note(noteA1)
	for name, text := range map[string]string{
		"empty":                 "",
		"two lines":             "UserId: a\nAWSAccessKeyId: b",
		"four lines":            good + "\nremark: call the client first",
		"remark before":         "remark\n" + good,
		"wrong order":           "AWSAccessKeyId: b\nUserId: a\nAWSSecretAccessKey: c",
		"lower case key":        strings.Replace(good, "UserId", "userid", 1),
		"no space after colon":  strings.Replace(good, "UserId: ", "UserId:", 1),
		"leading space":         " " + good,
		"value with space":      strings.Replace(good, "ca55631f9f3d59dc\n", "ca55631f9f3d59dc x\n", 1),
		"empty value":           strings.Replace(good, "AWSSecretAccessKey: QCb17BzeepyvUAdJeFNFYW9fCzbq0uFa16e5pGm", "AWSSecretAccessKey: ", 1),
		"trailing space":        good + " ",
		"prose mentioning it":   "Customer asked about UserId: ca55631f9f3d59dc and AWSAccessKeyId: ca55631f9f3d59dcDF4M",
		"blank line in between": strings.Replace(good, "\n", "\n\n", 1),
		"non-ASCII value":       strings.Replace(good, "ca55631f9f3d59dc\n", "ca55631f9f3d59dcé\n", 1),
	} {
		if n, ok := ParseS3Note(text); ok {
			t.Errorf("%s: parsed as %+v", name, n)
		}
	}
}

func FuzzParseS3Note(f *testing.F) {
	f.Add(FormatS3Note(noteA1))
	f.Add("UserId: a\r\nAWSAccessKeyId: b\r\nAWSSecretAccessKey: c\r\n")
	f.Add("UserId: \nAWSAccessKeyId: \nAWSSecretAccessKey: ")
	f.Fuzz(func(t *testing.T, text string) {
		n, ok := ParseS3Note(text)
		if !ok {
			return
		}
		if !validNoteValue(n.UserID) || !validNoteValue(n.AccessKeyID) || (n.SecretAccessKey != "" && !validNoteValue(n.SecretAccessKey)) {
			t.Fatalf("parsed invalid values %+v from %q", n, text)
		}
		if again, ok := ParseS3Note(FormatS3Note(n)); !ok || again != n {
			t.Fatalf("round trip of %+v gave %+v, %v", n, again, ok)
		}
	})
}

// testS3NotesDB is the notes suite of DBBridge, run on every backend.
func testS3NotesDB(t *testing.T, open func(*testing.T) *DB) {
	ctx := context.Background()
	texts := func(t *testing.T, d *DB, clientID int64) []string {
		t.Helper()
		notes, err := d.ClientNotes(ctx, clientID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range notes {
			out = append(out, n.Text)
		}
		return out
	}
	setup := func(t *testing.T) (*DB, *DBBridge) {
		d := open(t)
		b := NewDBBridge(d)
		for _, n := range []staas.S3Note{noteA1, noteA2, noteB} {
			if err := b.AddS3Note(ctx, 7, 3, n); err != nil {
				t.Fatal(err)
			}
		}
		// Notes that mention the user id but are not its S3 notes.
		for _, text := range []string{
			"Customer asked about UserId: " + noteA1.UserID + " on the phone",
			FormatS3Note(noteA1) + "\nremark: keep this one, the admin edited it",
		} {
			if _, err := d.AddClientNote(ctx, 7, 3, text); err != nil {
				t.Fatal(err)
			}
		}
		// The same user's note on another client.
		if err := b.AddS3Note(ctx, 1, 3, noteA1); err != nil {
			t.Fatal(err)
		}
		return d, b
	}
	t.Run("added as the guide writes it", func(t *testing.T) {
		d, _ := setup(t)
		notes, _ := d.ClientNotes(ctx, 7)
		if notes[0].Text != FormatS3Note(noteA1) || notes[0].AdminID != 3 {
			t.Errorf("%+v", notes[0])
		}
	})
	// The note outbox delivers again a note whose staas died after
	// writing it and before marking it done: the client still has the
	// key's note once, and another key's note of the same user is added.
	t.Run("a key's note delivered again is there once", func(t *testing.T) {
		d, b := setup(t)
		before := texts(t, d, 7)
		if err := b.AddS3Note(ctx, 7, 0, noteA1); err != nil {
			t.Fatal(err)
		}
		if got := texts(t, d, 7); !reflect.DeepEqual(got, before) {
			t.Errorf("notes after the second delivery\n%q\nwant\n%q", got, before)
		}
		other := staas.S3Note{UserID: noteA1.UserID, AccessKeyID: "AKNEWKEY0000000000001", SecretAccessKey: "s3cr3t-new"}
		if err := b.AddS3Note(ctx, 7, 0, other); err != nil {
			t.Fatal(err)
		}
		if got := texts(t, d, 7); len(got) != len(before)+1 || got[len(got)-1] != FormatS3Note(other) {
			t.Errorf("another key's note was not added: %q", got)
		}
	})
	t.Run("remove one key's note", func(t *testing.T) {
		d, b := setup(t)
		removed, manual, err := b.RemoveS3Notes(ctx, 7, 3, noteA1.UserID, noteA1.AccessKeyID)
		if err != nil || removed != 1 || manual {
			t.Fatalf("removed %d, manual %v, %v", removed, manual, err)
		}
		want := []string{FormatS3Note(noteA2), FormatS3Note(noteB),
			"Customer asked about UserId: " + noteA1.UserID + " on the phone",
			FormatS3Note(noteA1) + "\nremark: keep this one, the admin edited it"}
		if got := texts(t, d, 7); !reflect.DeepEqual(got, want) {
			t.Errorf("left\n%q\nwant\n%q", got, want)
		}
		if got := texts(t, d, 1); len(got) != 1 {
			t.Errorf("another client's note was removed: %q", got)
		}
		removed, _, err = b.RemoveS3Notes(ctx, 7, 3, noteA1.UserID, noteA1.AccessKeyID)
		if err != nil || removed != 0 {
			t.Errorf("again: %d %v", removed, err)
		}
	})
	t.Run("remove all of a user's notes", func(t *testing.T) {
		d, b := setup(t)
		removed, manual, err := b.RemoveS3Notes(ctx, 7, 0, noteA1.UserID, "")
		if err != nil || removed != 2 || manual {
			t.Fatalf("removed %d, manual %v, %v", removed, manual, err)
		}
		want := []string{FormatS3Note(noteB),
			"Customer asked about UserId: " + noteA1.UserID + " on the phone",
			FormatS3Note(noteA1) + "\nremark: keep this one, the admin edited it"}
		if got := texts(t, d, 7); !reflect.DeepEqual(got, want) {
			t.Errorf("left\n%q\nwant\n%q", got, want)
		}
	})
	t.Run("notes with CRLF line ends", func(t *testing.T) {
		d, b := setup(t)
		if _, err := d.AddClientNote(ctx, 2, 0, strings.ReplaceAll(FormatS3Note(noteA1), "\n", "\r\n")+"\r\n"); err != nil {
			t.Fatal(err)
		}
		if removed, _, err := b.RemoveS3Notes(ctx, 2, 0, noteA1.UserID, noteA1.AccessKeyID); err != nil || removed != 1 {
			t.Errorf("removed %d, %v", removed, err)
		}
	})
	t.Run("injection payloads change nothing", func(t *testing.T) {
		d, b := setup(t)
		before := texts(t, d, 7)
		for _, payload := range []string{`'OR'1'='1`, `%`, `_`, `ca55631f9f3d59dc%`, `*`, `');DELETE/**/FROM/**/tblnotes;--`} {
			removed, _, err := b.RemoveS3Notes(ctx, 7, 3, payload, "")
			if err != nil || removed != 0 {
				t.Errorf("user id %q: removed %d, %v", payload, removed, err)
			}
			removed, _, err = b.RemoveS3Notes(ctx, 7, 3, noteA1.UserID, payload)
			if err != nil || removed != 0 {
				t.Errorf("key id %q: removed %d, %v", payload, removed, err)
			}
		}
		for _, payload := range []string{`' OR '1'='1`, "a\nb", ""} {
			_, _, err := b.RemoveS3Notes(ctx, 7, 3, payload, "")
			wantCode(t, err, staas.EINVALID)
		}
		if after := texts(t, d, 7); !reflect.DeepEqual(after, before) {
			t.Errorf("notes changed:\n%q\n%q", before, after)
		}
		// A note whose values are SQL is written and removed as text.
		evil := staas.S3Note{UserID: `x');DELETE/**/FROM/**/tblnotes;--`, AccessKeyID: `'OR'1'='1`, SecretAccessKey: `";DROP/**/TABLE/**/tblclients;--`}
		if err := b.AddS3Note(ctx, 2, 3, evil); err != nil {
			t.Fatal(err)
		}
		if removed, _, err := b.RemoveS3Notes(ctx, 2, 3, evil.UserID, evil.AccessKeyID); err != nil || removed != 1 {
			t.Errorf("evil note: removed %d, %v", removed, err)
		}
		if after := texts(t, d, 7); !reflect.DeepEqual(after, before) {
			t.Errorf("notes changed:\n%q\n%q", before, after)
		}
		if c, err := b.Client(ctx, 1); err != nil || c.Email != "ada@example.com" {
			t.Errorf("clients changed: %+v %v", c, err)
		}
	})
	t.Run("bad notes are refused before writing", func(t *testing.T) {
		d, b := setup(t)
		before := countNotes(t, d)
		for name, n := range map[string]staas.S3Note{
			"newline in user id":  {UserID: "a\nAWSAccessKeyId: forged", AccessKeyID: "b", SecretAccessKey: "c"},
			"space in key":        {UserID: "a", AccessKeyID: "b c", SecretAccessKey: "c"},
			"non-ASCII secret":    {UserID: "a", AccessKeyID: "b", SecretAccessKey: "ü"},
			"overlong access key": {UserID: "a", AccessKeyID: strings.Repeat("k", 257), SecretAccessKey: "c"},
		} {
			if err := b.AddS3Note(ctx, 7, 3, n); staas.ErrorCode(err) != staas.EINVALID {
				t.Errorf("%s: %v", name, err)
			}
		}
		wantCode(t, b.AddS3Note(ctx, 0, 3, noteA1), staas.EINVALID)
		wantCode(t, b.AddS3Note(ctx, 7, -1, noteA1), staas.EINVALID)
		wantCode(t, b.AddS3Note(ctx, 99, 3, noteA1), staas.ENOTFOUND)
		if after := countNotes(t, d); after != before {
			t.Errorf("%d notes written", after-before)
		}
	})
	t.Run("client", func(t *testing.T) {
		_, b := setup(t)
		if c, err := b.Client(ctx, 7); err != nil || c.Email != "grace@example.com" {
			t.Errorf("%+v %v", c, err)
		}
		_, err := b.Client(ctx, 404)
		wantCode(t, err, staas.ENOTFOUND)
	})
}

func TestAPIBridge(t *testing.T) {
	ctx := context.Background()
	env := newSimEnv(t, nil)
	b := NewAPIBridge(env.client)
	texts := func() []string {
		d := NewDB(env.db)
		notes, err := d.ClientNotes(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range notes {
			out = append(out, n.Text)
		}
		return out
	}
	if c, err := b.Client(ctx, 7); err != nil || c.LastName != "Hopper" {
		t.Fatalf("%+v %v", c, err)
	}
	if err := b.AddS3Note(ctx, 7, 3, noteA1); err != nil {
		t.Fatal(err)
	}
	if got := texts(); len(got) != 1 || got[0] != FormatS3Note(noteA1) {
		t.Fatalf("%q", got)
	}

	removed, manual, err := b.RemoveS3Notes(ctx, 7, 3, noteA1.UserID, noteA1.AccessKeyID)
	if err != nil || removed != 0 || !manual {
		t.Fatalf("removed %d, manual %v, %v", removed, manual, err)
	}
	got := texts()
	if len(got) != 2 || got[0] != FormatS3Note(noteA1) {
		t.Fatalf("the API cannot delete, so the S3 note stays and one is added: %q", got)
	}
	hint := got[1]
	for _, want := range []string{noteA1.UserID, noteA1.AccessKeyID, "revoked", "by admin #3", "delete by hand", "UserId: " + noteA1.UserID, "AWSAccessKeyId: " + noteA1.AccessKeyID} {
		if !strings.Contains(hint, want) {
			t.Errorf("the hint lacks %q: %q", want, hint)
		}
	}
	if strings.Contains(hint, noteA1.SecretAccessKey) {
		t.Errorf("the hint shows the secret: %q", hint)
	}
	if _, ok := ParseS3Note(hint); ok {
		t.Error("the hint reads as an S3 note")
	}

	removed, manual, err = b.RemoveS3Notes(ctx, 7, 0, noteA1.UserID, "")
	if err != nil || removed != 0 || !manual {
		t.Fatalf("removed %d, manual %v, %v", removed, manual, err)
	}
	got = texts()
	if hint := got[len(got)-1]; !strings.Contains(hint, "S3 user "+noteA1.UserID+" was deleted") || strings.Contains(hint, "admin #") ||
		!strings.Contains(hint, "UserId: "+noteA1.UserID) {
		t.Errorf("user hint %q", hint)
	}

	// Refused before anything is sent.
	env.sim.ResetRequests()
	wantCode(t, b.AddS3Note(ctx, 7, 3, staas.S3Note{UserID: "a b", AccessKeyID: "k", SecretAccessKey: "s"}), staas.EINVALID)
	_, _, err = b.RemoveS3Notes(ctx, 7, 3, "", "")
	wantCode(t, err, staas.EINVALID)
	_, _, err = b.RemoveS3Notes(ctx, 0, 3, "u", "")
	wantCode(t, err, staas.EINVALID)
	_, _, err = b.RemoveS3Notes(ctx, 7, 3, "u", "k\n")
	wantCode(t, err, staas.EINVALID)
	if r := env.sim.Requests(); len(r) != 0 {
		t.Errorf("sent %+v", r)
	}
	_, manual, err = b.RemoveS3Notes(ctx, 99, 3, "u", "")
	wantCode(t, err, staas.ENOTFOUND)
	if manual {
		t.Error("manual=true although no note was added")
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}

func TestOpen(t *testing.T) {
	b, err := Open(Config{Mode: ModeAPI, API: APIConfig{URL: "https://billing.example.com/includes/api.php", Identifier: "i",
		Secret: testAPISecret, AccessKey: testAccessKey}, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ab, ok := b.(*APIBridge)
	if !ok || ab.api.secret != testAPISecret || ab.api.accessKey != testAccessKey || ab.api.timeout != 3*time.Second {
		t.Fatalf("%T %+v", b, b)
	}
	b, err = Open(Config{Mode: ModeMySQL, DSN: "whmcs:pw@tcp(127.0.0.1:1)/whmcs", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.(*DBBridge); !ok {
		t.Fatalf("%T", b)
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
	for _, cfg := range []Config{
		{Mode: "ldap"},
		{Mode: ModeAPI, API: APIConfig{URL: "https://x/includes/api.php"}},
		{Mode: ModeMySQL, DSN: "not a dsn " + testAPISecret},
	} {
		_, err := Open(cfg)
		wantCode(t, err, staas.EINVALID)
		noSecrets(t, err)
	}
}

// TestConfigHidesSecrets: the adapter's Config can be printed and logged
// without its API secret, access key or database password.
func TestConfigHidesSecrets(t *testing.T) {
	cfg := Config{Mode: ModeMySQL, API: APIConfig{URL: "https://billing.example.com/includes/api.php", Identifier: "i",
		Secret: testAPISecret, AccessKey: testAccessKey}, DSN: "whmcs:" + testAPISecret + "@tcp(db:3306)/whmcs", Timeout: time.Second}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("whmcs", "cfg", cfg)
	for _, out := range []string{cfg.String(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), logged.String()} {
		if strings.Contains(out, testAPISecret) || strings.Contains(out, testAccessKey) {
			t.Errorf("a secret is shown: %s", out)
		}
		if !strings.Contains(out, "billing.example.com") {
			t.Errorf("the API URL is not shown: %s", out)
		}
	}
}
