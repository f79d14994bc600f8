package store

import (
	"strings"
	"testing"
	"time"

	"staas"
)

func testIntents(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

	// The hook's own attempt holds the intent for two minutes.
	close1, err := s.AddIntent(ctx, Intent{ClientID: 1, AdminID: 3, Event: "client-close", CreatedAt: t0, NextAttemptAt: t0.Add(2 * time.Minute)})
	mustNil(t, err)
	del2, err := s.AddIntent(ctx, Intent{ClientID: 2, Event: "client-delete", Params: map[string]string{"policy": "delete"}, CreatedAt: t0.Add(time.Second)})
	mustNil(t, err)
	if due, err := s.DueIntents(ctx, t0.Add(time.Minute), 10); err != nil || len(due) != 1 || due[0].ID != del2 || due[0].Params["policy"] != "delete" {
		t.Fatalf("due after a minute = %+v, %v; want only client 2's delete with its policy", due, err)
	}
	if due, _ := s.DueIntents(ctx, t0.Add(3*time.Minute), 10); len(due) != 2 || due[0].ID != close1 {
		t.Fatalf("due after three minutes = %+v; want both, oldest first", due)
	}

	// A temporary failure keeps it queued, counted and later; the error is cut.
	mustNil(t, s.RetryIntent(ctx, close1, "unavailable: "+strings.Repeat("é", 300), t0.Add(time.Hour)))
	got, err := s.ClientIntents(ctx, 1, IntentQueued, IntentFailed)
	mustNil(t, err)
	if len(got) != 1 || got[0].Attempts != 1 || len([]rune(got[0].LastError)) != 255 || !got[0].NextAttemptAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after a retry: %+v", got)
	}
	n, oldest, failed, err := s.IntentBacklog(ctx)
	mustNil(t, err)
	if n != 2 || !oldest.Equal(t0) || failed != 0 {
		t.Fatalf("backlog = %d since %v, %d failed; want 2 since %v, 0", n, oldest, failed, t0)
	}

	// Done and failed end an intent once; the pending list leaves done out.
	mustNil(t, s.FinishIntent(ctx, close1, IntentDone, ""))
	if err := s.FinishIntent(ctx, close1, IntentDone, ""); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("finishing twice: %v, want not_found", err)
	}
	mustNil(t, s.FinishIntent(ctx, del2, IntentFailed, "invalid: refused"))
	if got, _ := s.ClientIntents(ctx, 1, IntentQueued, IntentFailed); len(got) != 0 {
		t.Fatalf("client 1 pending after done: %+v", got)
	}
	if got, _ := s.ClientIntents(ctx, 1); len(got) != 1 || got[0].State != IntentDone || got[0].Attempts != 2 {
		t.Fatalf("client 1 history: %+v", got)
	}
	if got, _ := s.ClientIntents(ctx, 2, IntentFailed); len(got) != 1 || got[0].LastError != "invalid: refused" {
		t.Fatalf("client 2 failed: %+v", got)
	}
	if n, oldest, failed, _ := s.IntentBacklog(ctx); n != 0 || !oldest.IsZero() || failed != 1 {
		t.Fatalf("backlog at the end = %d, %v, %d failed", n, oldest, failed)
	}
	if due, _ := s.DueIntents(ctx, t0.Add(2*time.Hour), 10); len(due) != 0 {
		t.Fatalf("ended intents are due: %+v", due)
	}
	if _, err := s.AddIntent(ctx, Intent{ClientID: 0, Event: "x"}); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatalf("an intent without client: %v", err)
	}
	if err := s.FinishIntent(ctx, 1, "queued", ""); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatalf("finishing as queued: %v", err)
	}
}

// testMigration0009Rerun runs the intents migration again on MariaDB: a
// MySQL migration must be safe to re-run (DDL commits implicitly).
func testMigration0009Rerun(t *testing.T, b backend) {
	if b.driver != driverMySQL {
		return
	}
	s := newStore(t, b)
	migs, err := loadMigrations("mysql")
	mustNil(t, err)
	if migs[8].version != 9 {
		t.Fatalf("migration %s is not 0009", migs[8].name)
	}
	for _, stmt := range migs[8].statements {
		if _, err := s.db.ExecContext(ctxFor(t), stmt); err != nil {
			t.Fatalf("%s run again: %v", migs[8].name, err)
		}
	}
}

// Pruning takes only done intents finished before the cutoff: queued and
// failed ones stay whatever their age, as the pending work shows them.
func testPruneDoneIntents(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	t0 := time.Now().UTC().Add(-time.Hour)
	var ids []int64
	for i := range 4 {
		id, err := s.AddIntent(ctx, Intent{ClientID: int64(i + 1), Event: "client-close", CreatedAt: t0, NextAttemptAt: t0})
		mustNil(t, err)
		ids = append(ids, id)
	}
	mustNil(t, s.FinishIntent(ctx, ids[0], IntentDone, ""))
	mustNil(t, s.FinishIntent(ctx, ids[1], IntentDone, ""))
	mustNil(t, s.FinishIntent(ctx, ids[2], IntentFailed, "refused"))
	if n, err := s.PruneDoneIntents(ctx, time.Now().UTC().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("pruning before they were done: %d, %v", n, err)
	}
	if n, err := s.PruneDoneIntents(ctx, time.Now().UTC().Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want the two done", n, err)
	}
	for i, id := range ids {
		left, err := s.ClientIntents(ctx, int64(i+1), IntentQueued, IntentFailed, IntentDone)
		mustNil(t, err)
		if gone := len(left) == 0; gone != (i < 2) {
			t.Errorf("intent %d (client %d): gone %v after pruning", id, i+1, gone)
		}
	}
}
