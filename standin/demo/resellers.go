package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"staas/internal/store"
)

// ResellerLogin is a demo reseller's login, printed when the demo starts.
type ResellerLogin struct {
	Name, Email, Password string
	Clients               string // the reseller's source, e.g. "ids:1,2"
}

// demoResellers are the two seeded resellers: different client sets, so
// each sees only its own.
var demoResellers = []ResellerLogin{
	{Name: "Acme Hosting", Email: "acme@reseller.example", Clients: "ids:1,2"},
	{Name: "Beta Cloud", Email: "beta@reseller.example", Clients: "ids:3,4"},
}

// SeedResellers adds the demo's two resellers, each with a new random
// password, and returns their logins.
func SeedResellers(ctx context.Context, st *store.Store) ([]ResellerLogin, error) {
	out := make([]ResellerLogin, 0, len(demoResellers))
	for _, r := range demoResellers {
		var b [12]byte
		_, _ = rand.Read(b[:])
		r.Password = base64.RawURLEncoding.EncodeToString(b[:])
		src, err := store.ParseResellerSource(r.Clients)
		if err != nil {
			return nil, err
		}
		if _, err := st.AddReseller(ctx, store.Reseller{Name: r.Name, Email: r.Email, Source: src}, r.Password); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
