package ostor

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"staas"
	"staas/standin/ostorsim"
)

// TestReliability_FlakyGateway runs many callers at once against a gateway
// that drops connections, answers 503 and loses answers after acting. The
// promise under test: every call either succeeds and its effect is really
// there, or fails with EUNAVAILABLE; a retry never turns into a wrong
// answer (a conflict from re-creating, a "not found" from re-deleting).
func TestReliability_FlakyGateway(t *testing.T) {
	const workers, perWorker = 6, 15
	e := newSimEnv(t, ostorsim.Options{Seed: 7})
	e.sim.SetFaults(ostorsim.Faults{DropRate: 0.1, ErrorRate: 0.15, LoseAnswerRate: 0.1})
	ctx := context.Background()

	type result struct {
		email             string
		created           *UserKeys
		limit             float64
		limitSet, deleted bool
		deleteFailed      bool
		errs              []error
	}
	results := make([]result, workers*perWorker)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				n := w*perWorker + i
				r := &results[n]
				r.email = fmt.Sprintf("flaky%d@example.com", n)
				r.limit = float64(100 + n)
				k, err := e.c.CreateUser(ctx, r.email)
				if err != nil {
					r.errs = append(r.errs, err)
					continue
				}
				r.created = k
				if err := e.c.SetOpsLimit(ctx, UserLimits(ByEmail(r.email)), "get", r.limit); err != nil {
					r.errs = append(r.errs, err)
				} else {
					r.limitSet = true
				}
				if n%3 == 0 {
					if err := e.c.DeleteUser(ctx, ByEmail(r.email)); err != nil {
						r.errs = append(r.errs, err)
						r.deleteFailed = true
					} else {
						r.deleted = true
					}
				}
			}
		}()
	}
	wg.Wait()
	e.sim.SetFaults(ostorsim.Faults{})

	var created, failed int
	for _, r := range results {
		for _, err := range r.errs {
			failed++
			if code := staas.ErrorCode(err); code != staas.EUNAVAILABLE {
				t.Errorf("%s: error %q (%v), want only %q under gateway faults", r.email, code, err, staas.EUNAVAILABLE)
			}
		}
		if r.created == nil {
			continue
		}
		created++
		u, err := e.c.User(ctx, ByEmail(r.email))
		if r.deleted {
			if staas.ErrorCode(err) != staas.ENOTFOUND {
				t.Errorf("%s: deleted, but the gateway says %v", r.email, err)
			}
			continue
		}
		if r.deleteFailed && staas.ErrorCode(err) == staas.ENOTFOUND {
			// EUNAVAILABLE means "may or may not have happened": a lost
			// answer can hide a delete that did happen.
			continue
		}
		if err != nil {
			t.Errorf("%s: created, but the gateway says %v", r.email, err)
			continue
		}
		if u.ID != r.created.ID || len(r.created.Keys) != 1 || !slices.Contains(u.Keys, r.created.Keys[0]) {
			t.Errorf("%s: returned %+v, the gateway has id %s keys %v", r.email, r.created, u.ID, u.Keys)
		}
		if r.limitSet {
			l, err := e.c.Limits(ctx, UserLimits(ByEmail(r.email)))
			if err != nil || l.OpsGet != r.limit {
				t.Errorf("%s: limit set to %v, reads back %+v, %v", r.email, r.limit, l, err)
			}
		}
	}
	// The faults must have bitten, or the test proved nothing; and most
	// calls must have got through their retries.
	if failed == 0 || created < len(results)/2 {
		t.Fatalf("%d of %d users created, %d calls failed: the fault mix is off", created, len(results), failed)
	}
	t.Logf("%d of %d users created; %d calls failed with EUNAVAILABLE", created, len(results), failed)
}
