package reseller

import (
	"context"
	"path/filepath"
	"testing"

	"staas"
	"staas/internal/store"
)

// Two staas replicas behind a load balancer share the store: failed logins
// spread over both lock the email on both, so an attacker gets five tries,
// not five per replica.
func TestAuthenticate_LockoutSharedAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "staas.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.AddReseller(ctx, store.Reseller{Name: "Acme", Email: "ops@acme.example", Source: store.ResellerSource{Kind: store.SourceIDs, Value: "1"}}, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	replicas := []*Auth{NewAuth(st, st), NewAuth(st, st)}
	for i := 0; i < MaxFailures; i++ {
		ip := "192.0.2." + string(rune('1'+i)) // a new address each time: only the email's count locks
		if _, err := replicas[i%2].Authenticate(ctx, "ops@acme.example", "wrong password!", "", ip); staas.ErrorCode(err) != staas.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	for i, a := range replicas {
		if _, err := a.Authenticate(ctx, "ops@acme.example", "correct horse battery", "", "198.51.100.1"); staas.ErrorCode(err) != staas.EFORBIDDEN {
			t.Errorf("replica %d lets the locked email in: %v", i, err)
		}
	}
}
