package store

import (
	"testing"

	"golang.org/x/crypto/bcrypt"

	"staas"
)

func testResellers(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)

	none, err := s.Resellers(ctx)
	mustNil(t, err)
	if len(none) != 0 {
		t.Fatalf("a new store has resellers: %+v", none)
	}
	src, err := ParseResellerSource("ids:3, 1,2,3")
	mustNil(t, err)
	if src.Value != "1,2,3" {
		t.Fatalf("ids source kept as %q, want 1,2,3", src.Value)
	}
	id, err := s.AddReseller(ctx, Reseller{Name: "Acme", Email: "Ops@Acme.example", Source: src}, "correct horse battery")
	mustNil(t, err)
	_, err = s.AddReseller(ctx, Reseller{Name: "Acme again", Email: "ops@acme.example", Source: src}, "correct horse battery")
	wantCode(t, err, staas.ECONFLICT)
	bid, err := s.AddReseller(ctx, Reseller{Name: "Beta", Email: "b@beta.example", Source: ResellerSource{Kind: SourceGroup, Value: "7"}}, "another long password")
	mustNil(t, err)

	r, err := s.ResellerByEmail(ctx, "OPS@acme.example")
	mustNil(t, err)
	if r.ID != id || r.Name != "Acme" || r.Email != "ops@acme.example" || r.State != ResellerActive || r.Source.String() != "ids:1,2,3" ||
		r.TOTPSecret != "" || r.CreatedAt.IsZero() || r.UpdatedAt.IsZero() {
		t.Fatalf("reseller %+v", r)
	}
	if bcrypt.CompareHashAndPassword([]byte(r.PasswordHash), []byte("correct horse battery")) != nil {
		t.Fatal("the stored hash does not match the password")
	}
	if cost, _ := bcrypt.Cost([]byte(r.PasswordHash)); cost != BcryptCost {
		t.Fatalf("bcrypt cost %d, want %d", cost, BcryptCost)
	}
	_, err = s.ResellerByEmail(ctx, "nobody@acme.example")
	wantCode(t, err, staas.ENOTFOUND)
	_, err = s.ResellerByID(ctx, 999)
	wantCode(t, err, staas.ENOTFOUND)

	mustNil(t, s.SetResellerPassword(ctx, id, "a brand new password"))
	mustNil(t, s.SetResellerState(ctx, id, ResellerDisabled))
	mustNil(t, s.AssignReseller(ctx, id, ResellerSource{Kind: SourceField, Value: "Reseller=acme"}))
	r, err = s.ResellerByID(ctx, id)
	mustNil(t, err)
	if r.State != ResellerDisabled || r.Source.String() != "field:Reseller=acme" ||
		bcrypt.CompareHashAndPassword([]byte(r.PasswordHash), []byte("a brand new password")) != nil {
		t.Fatalf("after the updates: %+v", r)
	}
	wantCode(t, s.SetResellerState(ctx, 999, ResellerActive), staas.ENOTFOUND)
	wantCode(t, s.AssignReseller(ctx, 999, src), staas.ENOTFOUND)

	all, err := s.Resellers(ctx)
	mustNil(t, err)
	if len(all) != 2 || all[0].ID != bid || all[1].ID != id {
		t.Fatalf("resellers %+v", all)
	}
}

func testResellersInvalid(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	good := Reseller{Name: "Acme", Email: "a@acme.example", Source: ResellerSource{Kind: SourceGroup, Value: "3"}}
	const pw = "correct horse battery"
	for _, c := range []struct {
		r  func(r Reseller) Reseller
		pw string
	}{
		{func(r Reseller) Reseller { r.Name = ""; return r }, pw},
		{func(r Reseller) Reseller { r.Email = "not an address"; return r }, pw},
		{func(r Reseller) Reseller { r.State = "paused"; return r }, pw},
		{func(r Reseller) Reseller { r.Source = ResellerSource{Kind: "group", Value: "x"}; return r }, pw},
		{func(r Reseller) Reseller { r.Source = ResellerSource{Kind: "group", Value: "-1"}; return r }, pw},
		{func(r Reseller) Reseller { r.Source = ResellerSource{Kind: "ids", Value: "1,,2"}; return r }, pw},
		{func(r Reseller) Reseller { r.Source = ResellerSource{Kind: "field", Value: "Reseller"}; return r }, pw},
		{func(r Reseller) Reseller { r.Source = ResellerSource{Kind: "tag", Value: "x"}; return r }, pw},
		{func(r Reseller) Reseller { return r }, "short"},
		{func(r Reseller) Reseller { return r }, string(make([]byte, 73))},
	} {
		_, err := s.AddReseller(ctx, c.r(good), c.pw)
		wantCode(t, err, staas.EINVALID)
	}
	var n int
	mustNil(t, s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM staas_resellers`).Scan(&n))
	if n != 0 {
		t.Fatalf("%d resellers written from invalid input", n)
	}
	for _, bad := range []string{"", "group", "group:", "ids:a", "field:=x", "field:x=", "nope:1"} {
		if _, err := ParseResellerSource(bad); staas.ErrorCode(err) != staas.EINVALID {
			t.Errorf("ParseResellerSource(%q): %v, want EINVALID", bad, err)
		}
	}
	wantCode(t, s.SetResellerState(ctx, 1, "paused"), staas.EINVALID)
	wantCode(t, s.SetResellerPassword(ctx, 1, "short"), staas.EINVALID)
}

// On MySQL DDL commits at once, so a migration that stopped half-way is
// run again from its start: 0008 must take being run on its own result.
func testMigration0008Rerun(t *testing.T, b backend) {
	if b.driver != driverMySQL {
		return
	}
	s := newStore(t, b)
	migs, err := loadMigrations("mysql")
	mustNil(t, err)
	for _, stmt := range migs[7].statements {
		if _, err := s.db.ExecContext(ctxFor(t), stmt); err != nil {
			t.Fatalf("%s run again: %v", migs[7].name, err)
		}
	}
	if migs[7].version != 8 {
		t.Fatalf("migration %s is not 0008", migs[7].name)
	}
}

// A reseller's second factor: enrolled, each step used once (a step not
// after the last is refused, as is a stale read), replaced, removed.
func testResellerTOTP(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	id, err := s.AddReseller(ctx, Reseller{Name: "Acme", Email: "a@acme.example", Source: ResellerSource{Kind: SourceGroup, Value: "3"}}, "correct horse battery")
	mustNil(t, err)
	wantCode(t, s.SetResellerTOTP(ctx, id, "not base32!"), staas.EINVALID)
	wantCode(t, s.SetResellerTOTP(ctx, id+100, "JBSWY3DPEHPK3PXPJBSWY3DP"), staas.ENOTFOUND)
	mustNil(t, s.SetResellerTOTP(ctx, id, "JBSWY3DPEHPK3PXPJBSWY3DP"))
	r, err := s.ResellerByID(ctx, id)
	mustNil(t, err)
	if r.TOTPSecret != "JBSWY3DPEHPK3PXPJBSWY3DP" || r.TOTPLastStep != 0 {
		t.Fatalf("enrolled: %q %d", r.TOTPSecret, r.TOTPLastStep)
	}
	mustNil(t, s.UseResellerTOTPStep(ctx, id, r.TOTPSecret, 0, 100))
	wantCode(t, s.UseResellerTOTPStep(ctx, id, r.TOTPSecret, 0, 101), staas.ECONFLICT) // read before step 100 was used
	wantCode(t, s.UseResellerTOTPStep(ctx, id, r.TOTPSecret, 100, 100), staas.ECONFLICT)
	wantCode(t, s.UseResellerTOTPStep(ctx, id, r.TOTPSecret, 100, 99), staas.ECONFLICT)
	mustNil(t, s.UseResellerTOTPStep(ctx, id, r.TOTPSecret, 100, 101))
	r, err = s.ResellerByID(ctx, id)
	mustNil(t, err)
	if r.TOTPSecret != "JBSWY3DPEHPK3PXPJBSWY3DP" || r.TOTPLastStep != 101 {
		t.Fatalf("after two codes: %q %d", r.TOTPSecret, r.TOTPLastStep)
	}
	list, err := s.Resellers(ctx)
	mustNil(t, err)
	if list[0].TOTPSecret != r.TOTPSecret || list[0].TOTPLastStep != 101 {
		t.Fatalf("listed: %+v", list[0])
	}
	mustNil(t, s.SetResellerTOTP(ctx, id, "KRSXG5CTMVRXEZLUKRSXG5CT"))
	wantCode(t, s.UseResellerTOTPStep(ctx, id, "JBSWY3DPEHPK3PXPJBSWY3DP", 101, 102), staas.ECONFLICT) // the old secret
	mustNil(t, s.SetResellerTOTP(ctx, id, ""))
	r, err = s.ResellerByID(ctx, id)
	mustNil(t, err)
	if r.TOTPSecret != "" || r.TOTPLastStep != 0 {
		t.Fatalf("removed: %q %d", r.TOTPSecret, r.TOTPLastStep)
	}
}
