package store

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"staas"
)

func testNoteOutbox(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 123456789, time.UTC)

	none, err := s.DueNotes(ctx, t0, 10)
	mustNil(t, err)
	if none == nil || len(none) != 0 {
		t.Fatalf("DueNotes on an empty outbox = %#v, want an empty slice", none)
	}
	add := NoteOp{ClientID: 1, AdminID: 7, Op: NoteAdd, UserID: "u1", AccessKeyID: "K1", CreatedAt: t0}
	id1, err := s.EnqueueNote(ctx, add)
	mustNil(t, err)
	id2, err := s.EnqueueNote(ctx, NoteOp{ClientID: 1, AdminID: 7, Op: NoteRemove, UserID: "u1", AccessKeyID: "K1", CreatedAt: t0})
	mustNil(t, err)
	id3, err := s.EnqueueNote(ctx, NoteOp{ClientID: 2, AdminID: 0, Op: NoteRemove, UserID: "u2", CreatedAt: t0.Add(time.Second)})
	mustNil(t, err)
	if !(id1 < id2 && id2 < id3) {
		t.Fatalf("ids %d, %d, %d are not increasing", id1, id2, id3)
	}
	if n, err := s.PendingNotes(ctx, 1); err != nil || n != 2 {
		t.Fatalf("PendingNotes(1) = %d, %v; want 2", n, err)
	}

	// Not yet due before it was queued; due from then on, in id order.
	got, err := s.DueNotes(ctx, t0.Add(-time.Second), 10)
	mustNil(t, err)
	if len(got) != 0 {
		t.Fatalf("due before they were queued: %+v", got)
	}
	got, err = s.DueNotes(ctx, t0.Add(time.Minute), 10)
	mustNil(t, err)
	want := add
	want.ID, want.CreatedAt, want.NextAttemptAt = id1, storedTime(t0), storedTime(t0)
	if len(got) != 3 || !reflect.DeepEqual(got[0], want) || got[1].ID != id2 || got[2].ID != id3 || got[2].AccessKeyID != "" || got[2].AdminID != 0 {
		t.Fatalf("DueNotes = %+v; want ids %d, %d, %d, the first %+v", got, id1, id2, id3, want)
	}
	if got, _ := s.DueNotes(ctx, t0.Add(time.Minute), 2); len(got) != 2 || got[1].ID != id2 {
		t.Fatalf("DueNotes limit 2 = %+v", got)
	}

	// A failed row holds back its client's later rows, not other clients'.
	next := t0.Add(5 * time.Minute)
	mustNil(t, s.NoteFailed(ctx, id1, "unavailable: WHMCS: "+strings.Repeat("é", 300), next))
	got, err = s.DueNotes(ctx, t0.Add(time.Minute), 10)
	mustNil(t, err)
	if len(got) != 1 || got[0].ID != id3 {
		t.Fatalf("DueNotes after a failure = %+v; want only client 2's row", got)
	}
	got, err = s.DueNotes(ctx, next, 10)
	mustNil(t, err)
	if len(got) != 3 || got[0].ID != id1 || got[0].Attempts != 1 || !got[0].NextAttemptAt.Equal(storedTime(next)) {
		t.Fatalf("DueNotes at the next attempt = %+v", got)
	}
	if n := []rune(got[0].LastError); len(n) != maxNoteError || !strings.HasPrefix(got[0].LastError, "unavailable: WHMCS: é") {
		t.Errorf("last error %q: want it cut to %d characters", got[0].LastError, maxNoteError)
	}
	mustNil(t, s.NoteFailed(ctx, id1, "again", next.Add(time.Minute)))
	if got, _ := s.DueNotes(ctx, next.Add(time.Minute), 10); got[0].Attempts != 2 || got[0].LastError != "again" {
		t.Fatalf("second failure: %+v", got[0])
	}

	// Done rows go; the next row of the client is free.
	mustNil(t, s.DeleteNote(ctx, id1))
	mustNil(t, s.DeleteNote(ctx, id1)) // gone already: fine
	got, err = s.DueNotes(ctx, t0.Add(time.Minute), 10)
	mustNil(t, err)
	if len(got) != 2 || got[0].ID != id2 || got[1].ID != id3 {
		t.Fatalf("DueNotes after the first is done = %+v", got)
	}
	wantCode(t, s.NoteFailed(ctx, id1, "x", next), staas.ENOTFOUND)
	mustNil(t, s.DeleteNote(ctx, id2))
	mustNil(t, s.DeleteNote(ctx, id3))
	if n := outboxRows(t, s); n != 0 {
		t.Errorf("%d outbox rows left", n)
	}
}

// The table has exactly the columns NoteOp reads, so no column can hold
// anything (a secret) that NoteOp does not show.
func testNoteOutboxColumns(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	_, err := s.EnqueueNote(ctx, NoteOp{ClientID: 1, AdminID: 2, Op: NoteAdd, UserID: "u", AccessKeyID: "k"})
	mustNil(t, err)
	rows, err := s.db.QueryContext(ctx, `SELECT * FROM staas_note_outbox`)
	mustNil(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	mustNil(t, err)
	want := []string{"id", "client_id", "admin_id", "op", "user_id", "access_key_id", "attempts", "last_error", "created_at", "next_attempt_at"}
	if !reflect.DeepEqual(cols, want) {
		t.Errorf("columns %v, want %v", cols, want)
	}
}

func testNoteOutboxInvalid(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	ok := NoteOp{ClientID: 1, AdminID: 1, Op: NoteAdd, UserID: "u", AccessKeyID: "k"}
	cases := []struct {
		name string
		edit func(*NoteOp)
	}{
		{"no client", func(n *NoteOp) { n.ClientID = 0 }},
		{"negative admin", func(n *NoteOp) { n.AdminID = -1 }},
		{"unknown op", func(n *NoteOp) { n.Op = "delete" }},
		{"no user", func(n *NoteOp) { n.UserID = "" }},
		{"user with spaces", func(n *NoteOp) { n.UserID = " u" }},
		{"add without key", func(n *NoteOp) { n.AccessKeyID = "" }},
		{"key too long", func(n *NoteOp) { n.AccessKeyID = strings.Repeat("k", maxUserIDLen+1) }},
		{"time out of range", func(n *NoteOp) { n.CreatedAt = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := ok
			c.edit(&n)
			_, err := s.EnqueueNote(ctx, n)
			wantCode(t, err, staas.EINVALID)
		})
	}
	_, err := s.DueNotes(ctx, time.Now(), 0)
	wantCode(t, err, staas.EINVALID)
	_, err = s.DueNotes(ctx, time.Now(), 501)
	wantCode(t, err, staas.EINVALID)
	_, err = s.PendingNotes(ctx, 0)
	wantCode(t, err, staas.EINVALID)
	wantCode(t, s.NoteFailed(ctx, 0, "x", time.Now()), staas.EINVALID)
	wantCode(t, s.DeleteNote(ctx, -1), staas.EINVALID)
	if n := outboxRows(t, s); n != 0 {
		t.Errorf("%d outbox rows after invalid input; want nothing written", n)
	}
}

func outboxRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	mustNil(t, s.db.QueryRowContext(ctxFor(t), `SELECT COUNT(*) FROM staas_note_outbox`).Scan(&n))
	return n
}
