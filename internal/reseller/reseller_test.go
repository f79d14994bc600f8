package reseller

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"staas"
	"staas/internal/store"
)

type fakeClients struct {
	groups map[int64][]int64
	fields map[string][]int64 // "name=value"
	err    error
	calls  int
}

func (f *fakeClients) ClientsInGroup(_ context.Context, g int64) ([]int64, error) {
	f.calls++
	return f.groups[g], f.err
}

func (f *fakeClients) ClientsWithField(_ context.Context, name, value string) ([]int64, error) {
	f.calls++
	return f.fields[name+"="+value], f.err
}

func TestMembers(t *testing.T) {
	ctx := context.Background()
	wc := &fakeClients{groups: map[int64][]int64{3: {12, 10, 12}}, fields: map[string][]int64{"Reseller=acme": {7}}}
	m := NewMembers(wc, 0)
	if m.ttl != DefaultTTL {
		t.Fatalf("ttl %v, want the default", m.ttl)
	}
	now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	r := store.Reseller{ID: 1, Source: store.ResellerSource{Kind: store.SourceGroup, Value: "3"}}

	set, err := m.Of(ctx, r)
	if err != nil || set.Stale || !reflect.DeepEqual(set.IDs, []int64{10, 12}) || !set.Has(12) || set.Has(7) {
		t.Fatalf("group set %+v %v", set, err)
	}
	// Within the TTL, no second read; a client moved out of the group
	// is gone at the next read after it.
	wc.groups[3] = []int64{10}
	now = now.Add(30 * time.Second)
	if set, _ := m.Of(ctx, r); wc.calls != 1 || !set.Has(12) {
		t.Fatalf("within the TTL: %d calls, set %+v", wc.calls, set)
	}
	now = now.Add(31 * time.Second)
	if set, _ := m.Of(ctx, r); wc.calls != 2 || set.Has(12) {
		t.Fatalf("after the TTL: %d calls, set %+v", wc.calls, set)
	}
	at := now

	// An outage: the error, and the last set only marked stale with its age.
	wc.err = errors.New("connection refused")
	now = now.Add(2 * time.Minute)
	set, err = m.Of(ctx, r)
	if staas.ErrorCode(err) != staas.EUNAVAILABLE || !set.Stale || !set.At.Equal(at) || set.Age(now) != 2*time.Minute || !set.Has(10) {
		t.Fatalf("outage: set %+v, err %v", set, err)
	}
	// A reseller never read before gets an empty stale set.
	other := store.Reseller{ID: 2, Source: store.ResellerSource{Kind: store.SourceField, Value: "Reseller=acme"}}
	if set, err := m.Of(ctx, other); err == nil || !set.Stale || len(set.IDs) != 0 {
		t.Fatalf("outage, first read: %+v %v", set, err)
	}
	wc.err = nil
	if set, err := m.Of(ctx, other); err != nil || !reflect.DeepEqual(set.IDs, []int64{7}) {
		t.Fatalf("field set %+v %v", set, err)
	}
	// A changed source is read again at once; ids need no WHMCS.
	calls := wc.calls
	other.Source = store.ResellerSource{Kind: store.SourceIDs, Value: "5,4"}
	if set, err := m.Of(ctx, other); err != nil || !reflect.DeepEqual(set.IDs, []int64{4, 5}) || wc.calls != calls {
		t.Fatalf("ids set %+v %v (%d calls)", set, err, wc.calls-calls)
	}
}

type fakeResellers map[string]store.Reseller

func (f fakeResellers) ResellerByEmail(_ context.Context, email string) (store.Reseller, error) {
	if r, ok := f[email]; ok {
		return r, nil
	}
	return store.Reseller{}, staas.Errorf(staas.ENOTFOUND, "No such reseller.")
}

// UseResellerTOTPStep is the store's compare-and-set, on the map.
func (f fakeResellers) UseResellerTOTPStep(_ context.Context, id int64, secret string, last, step int64) error {
	for k, r := range f {
		if r.ID != id {
			continue
		}
		if r.TOTPSecret != secret || r.TOTPLastStep != last || step <= last {
			return staas.Errorf(staas.ECONFLICT, "That code has been used already.")
		}
		r.TOTPLastStep = step
		f[k] = r
		return nil
	}
	return staas.Errorf(staas.ENOTFOUND, "No such reseller.")
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), store.BcryptCost)
	if err != nil {
		t.Fatal(err)
	}
	rs := fakeResellers{
		"a@acme.example": {ID: 1, Email: "a@acme.example", PasswordHash: string(hash), State: store.ResellerActive},
		"d@acme.example": {ID: 2, Email: "d@acme.example", PasswordHash: string(hash), State: store.ResellerDisabled},
	}
	a := NewAuth(rs, nil)
	now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }

	if r, err := a.Authenticate(ctx, " A@Acme.example", "correct horse battery", "", "192.0.2.1"); err != nil || r.ID != 1 {
		t.Fatalf("good login: %+v %v", r, err)
	}
	_, errUnknown := a.Authenticate(ctx, "nobody@acme.example", "correct horse battery", "", "192.0.2.1")
	_, errWrong := a.Authenticate(ctx, "a@acme.example", "wrong password here", "", "192.0.2.1")
	if staas.ErrorCode(errUnknown) != staas.EUNAUTHORIZED || errUnknown.Error() != errWrong.Error() {
		t.Fatalf("unknown email %v and wrong password %v must read alike", errUnknown, errWrong)
	}
	if _, err := a.Authenticate(ctx, "d@acme.example", "correct horse battery", "", "192.0.2.9"); staas.ErrorCode(err) != staas.EFORBIDDEN {
		t.Fatalf("disabled: %v", err)
	}

	// Per email: five failures (from different addresses) lock it, even
	// for the right password, for 15 minutes.
	for i := range MaxFailures - 1 { // one failure above already
		_, _ = a.Authenticate(ctx, "a@acme.example", "wrong password here", "", "198.51.100."+string(rune('1'+i)))
	}
	if _, err := a.Authenticate(ctx, "a@acme.example", "correct horse battery", "", "203.0.113.5"); staas.ErrorCode(err) != staas.EFORBIDDEN {
		t.Fatalf("after %d failures: %v, want locked", MaxFailures, err)
	}
	now = now.Add(LockFor)
	if _, err := a.Authenticate(ctx, "a@acme.example", "correct horse battery", "", "203.0.113.5"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}

	// Per IP: five failures from one address over several emails lock
	// the address, not the emails elsewhere.
	for i := range MaxFailures {
		_, _ = a.Authenticate(ctx, "x"+string(rune('a'+i))+"@acme.example", "wrong password here", "", "192.0.2.66")
	}
	if _, err := a.Authenticate(ctx, "a@acme.example", "correct horse battery", "", "192.0.2.66"); staas.ErrorCode(err) != staas.EFORBIDDEN {
		t.Fatalf("from a locked address: %v", err)
	}
	if _, err := a.Authenticate(ctx, "a@acme.example", "correct horse battery", "", "192.0.2.67"); err != nil {
		t.Fatalf("from another address: %v", err)
	}
}
