package cluster_test

import (
	"context"
	"testing"

	"staas"
	"staas/internal/ecs"
	"staas/standin/ecssim"
)

// On ECS both key pairs of a user share the access key id (the user
// name), so staas names each by its secret_key_id; with ECS 4.x's "Hide
// Secret Key" the secrets read blank, and revoking one pair by its id
// still deletes that pair only.
func TestECSKeysNamedByKeyIDWithHiddenSecrets(t *testing.T) {
	ctx := context.Background()
	sim, err := ecssim.New(ecssim.Options{Username: "root", Password: "keys-secret", HideSecretKey: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := sim.NewTestServer()
	defer srv.Close()
	c, err := ecs.New(ecs.Config{Endpoint: srv.URL, Username: "root", Password: "keys-secret"})
	if err != nil {
		t.Fatal(err)
	}
	email := "kim@example.com"
	created, err := c.CreateUser(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.GenerateKey(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	first := created.Keys[0]
	if first.SecretAccessKey == "" || second.SecretAccessKey == "" {
		t.Fatal("a new key's secret is blank: ECS shows it once, at creation")
	}
	if first.AccessKeyID != second.AccessKeyID || first.KeyID == "" || first.KeyID == second.KeyID || first.Ref() == second.Ref() {
		t.Fatalf("pairs %v (id %q) and %v (id %q) are not told apart", first, first.KeyID, second, second.KeyID)
	}
	u, err := c.User(ctx, staas.ByEmail(email))
	if err != nil || len(u.Keys) != 2 {
		t.Fatalf("user: %+v, %v", u, err)
	}
	for _, k := range u.Keys {
		if k.SecretAccessKey != "" {
			t.Error("a hidden secret was read")
		}
	}
	if err := c.RevokeKey(ctx, email, first.KeyID); err != nil {
		t.Fatal(err)
	}
	u, err = c.User(ctx, staas.ByEmail(email))
	if err != nil || len(u.Keys) != 1 || u.Keys[0].KeyID != second.KeyID {
		t.Fatalf("after revoking the first pair: %+v, %v", u, err)
	}
	if err := c.RevokeKey(ctx, email, first.KeyID); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("revoking it again: %v", err)
	}
}
