package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"staas/internal/store"
)

// resellerEnv runs staas reseller … on one SQLite store and reads it back.
type resellerEnv struct {
	t   *testing.T
	dsn string
}

func newResellerEnv(t *testing.T) *resellerEnv {
	return &resellerEnv{t: t, dsn: filepath.Join(t.TempDir(), "staas.db")}
}

func (e *resellerEnv) run(stdin string, args ...string) (string, error) {
	e.t.Helper()
	old := resellerStdin
	resellerStdin = strings.NewReader(stdin)
	defer func() { resellerStdin = old }()
	var out, errOut bytes.Buffer
	env := map[string]string{"STAAS_STORE_DSN": e.dsn}
	err := run(context.Background(), append([]string{"reseller"}, args...), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &out, &errOut)
	return out.String() + errOut.String(), err
}

func (e *resellerEnv) resellers() []store.Reseller {
	e.t.Helper()
	st, err := store.Open(context.Background(), "sqlite", e.dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	list, err := st.Resellers(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

var shownPassword = regexp.MustCompile(`(?m)^password: (\S+)$`)

func TestResellerAdd(t *testing.T) {
	e := newResellerEnv(t)
	out, err := e.run("", "add", "-name", "Acme", "-email", "Ops@Acme.example", "-source", "group:3")
	if err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	m := shownPassword.FindStringSubmatch(out)
	if m == nil || len(m[1]) < 20 {
		t.Fatalf("add printed no generated password:\n%s", out)
	}
	list := e.resellers()
	if len(list) != 1 || list[0].Email != "ops@acme.example" || list[0].Source.String() != "group:3" || list[0].State != store.ResellerActive {
		t.Fatalf("stored %+v", list)
	}
	if bcrypt.CompareHashAndPassword([]byte(list[0].PasswordHash), []byte(m[1])) != nil {
		t.Fatal("the printed password is not the stored one")
	}

	out, err = e.run("a password from stdin\n", "add", "-name", "Beta", "-email", "b@beta.example", "-source", "ids:3,1", "-password-stdin")
	if err != nil || strings.Contains(out, "password:") {
		t.Fatalf("add -password-stdin: %v\n%s", err, out)
	}
	list = e.resellers()
	if len(list) != 2 || list[0].Source.String() != "ids:1,3" ||
		bcrypt.CompareHashAndPassword([]byte(list[0].PasswordHash), []byte("a password from stdin")) != nil {
		t.Fatalf("stored %+v", list)
	}
}

// Bad input is refused with a message naming the fault, and nothing is
// written.
func TestResellerAddRefused(t *testing.T) {
	e := newResellerEnv(t)
	if _, err := e.run("", "add", "-name", "Acme", "-email", "a@acme.example", "-source", "field:Reseller=acme"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"add", "-email", "x@acme.example", "-source", "group:3"}, "-name is required"},
		{"", []string{"add", "-name", "X", "-source", "group:3"}, "-email is required"},
		{"", []string{"add", "-name", "X", "-email", "x@acme.example"}, "-source is required"},
		{"", []string{"add", "-name", "X", "-email", "x@acme.example", "-source", "group:abc"}, "not a positive client group id"},
		{"", []string{"add", "-name", "X", "-email", "x@acme.example", "-source", "ids:1,x"}, "not a positive number"},
		{"", []string{"add", "-name", "X", "-email", "x@acme.example", "-source", "field:Reseller"}, "NAME=VALUE"},
		{"", []string{"add", "-name", "X", "-email", "x@acme.example", "-source", "tag:3"}, "is not"},
		{"", []string{"add", "-name", "X", "-email", "not-an-address", "-source", "group:3"}, "is not an address"},
		{"", []string{"add", "-name", "X", "-email", "A@acme.example", "-source", "group:3"}, "registered already"},
		{"short\n", []string{"add", "-name", "X", "-email", "x@acme.example", "-source", "group:3", "-password-stdin"}, "at least 12"},
		{"", []string{"add", "-name", "X", "-email", "x@acme.example", "-source", "group:3", "-password-stdin"}, "no password"},
		{"", []string{"add", "-name", "X", "-email", "x@acme.example", "-source", "group:3", "extra"}, "unexpected argument"},
		{"", []string{"frobnicate"}, "unknown reseller command"},
	} {
		out, err := e.run(c.stdin, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to say %q\n%s", c.args, err, c.want, out)
		}
		if strings.Contains(out, "password:") {
			t.Errorf("%v: a password was printed for a refused command:\n%s", c.args, out)
		}
	}
	if list := e.resellers(); len(list) != 1 || list[0].Email != "a@acme.example" || list[0].Source.String() != "field:Reseller=acme" {
		t.Fatalf("refused commands wrote: %+v", list)
	}
}

func TestResellerList(t *testing.T) {
	e := newResellerEnv(t)
	if out, err := e.run("", "list"); err != nil || !strings.Contains(out, "no reseller") {
		t.Fatalf("empty list: %v\n%s", err, out)
	}
	out, err := e.run("", "add", "-name", "Acme", "-email", "a@acme.example", "-source", "ids:1,2,3")
	if err != nil {
		t.Fatal(err)
	}
	pw := shownPassword.FindStringSubmatch(out)[1]
	out, err = e.run("", "list")
	if err != nil {
		t.Fatal(err)
	}
	hash := e.resellers()[0].PasswordHash
	if !strings.Contains(out, "a@acme.example") || !strings.Contains(out, "ids:1,2,3") || !strings.Contains(out, "active") ||
		strings.Contains(out, pw) || strings.Contains(out, hash) || strings.Contains(out, "$2a$") {
		t.Fatalf("list:\n%s", out)
	}
	if _, err := e.run("", "list", "extra"); err == nil {
		t.Fatal("list took an argument")
	}
}

func TestResellerAssign(t *testing.T) {
	e := newResellerEnv(t)
	if _, err := e.run("", "add", "-name", "Acme", "-email", "a@acme.example", "-source", "group:3"); err != nil {
		t.Fatal(err)
	}
	if out, err := e.run("", "assign", "-email", "A@acme.example", "-source", "field:Reseller=acme"); err != nil {
		t.Fatalf("assign: %v\n%s", err, out)
	}
	if got := e.resellers()[0].Source.String(); got != "field:Reseller=acme" {
		t.Fatalf("source %s", got)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"assign", "-email", "a@acme.example", "-source", "group:0"}, "not a positive client group id"},
		{[]string{"assign", "-email", "a@acme.example"}, "-source is required"},
		{[]string{"assign", "-source", "group:4"}, "-email is required"},
		{[]string{"assign", "-email", "nobody@acme.example", "-source", "group:4"}, "no reseller has the email"},
	} {
		if _, err := e.run("", c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	if got := e.resellers()[0].Source.String(); got != "field:Reseller=acme" {
		t.Fatalf("a refused assign changed the source to %s", got)
	}
}

func TestResellerResetPassword(t *testing.T) {
	e := newResellerEnv(t)
	if _, err := e.run("", "add", "-name", "Acme", "-email", "a@acme.example", "-source", "group:3"); err != nil {
		t.Fatal(err)
	}
	old := e.resellers()[0].PasswordHash
	out, err := e.run("", "reset-password", "-email", "a@acme.example")
	if err != nil {
		t.Fatalf("reset-password: %v\n%s", err, out)
	}
	m := shownPassword.FindStringSubmatch(out)
	hash := e.resellers()[0].PasswordHash
	if m == nil || hash == old || bcrypt.CompareHashAndPassword([]byte(hash), []byte(m[1])) != nil {
		t.Fatalf("reset-password printed %q; the stored hash does not match", out)
	}
	if _, err := e.run("another good password\n", "reset-password", "-email", "a@acme.example", "-password-stdin"); err != nil {
		t.Fatal(err)
	}
	hash = e.resellers()[0].PasswordHash
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("another good password")) != nil {
		t.Fatal("-password-stdin was not stored")
	}
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"reset-password", "-email", "nobody@acme.example"}, "no reseller has the email"},
		{"", []string{"reset-password"}, "-email is required"},
		{"tiny\n", []string{"reset-password", "-email", "a@acme.example", "-password-stdin"}, "at least 12"},
	} {
		if out, err := e.run(c.stdin, c.args...); err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(out, "password:") {
			t.Errorf("%v: %v, want %q\n%s", c.args, err, c.want, out)
		}
	}
	if e.resellers()[0].PasswordHash != hash {
		t.Fatal("a refused reset changed the password")
	}
}

func TestResellerDisable(t *testing.T) {
	e := newResellerEnv(t)
	if _, err := e.run("", "add", "-name", "Acme", "-email", "a@acme.example", "-source", "group:3"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run("", "disable", "-email", "nobody@acme.example"); err == nil || !strings.Contains(err.Error(), "no reseller has the email") {
		t.Fatalf("disable of an unknown email: %v", err)
	}
	if e.resellers()[0].State != store.ResellerActive {
		t.Fatal("a refused disable changed the state")
	}
	if out, err := e.run("", "disable", "-email", "a@acme.example"); err != nil || !strings.Contains(out, "disabled") {
		t.Fatalf("disable: %v\n%s", err, out)
	}
	if e.resellers()[0].State != store.ResellerDisabled {
		t.Fatal("not disabled")
	}
}

// staas reseller totp prints the otpauth URI and secret once and stores
// the secret; -remove takes it away; enable undoes disable; every change
// is audited as the operator's.
func TestResellerTOTPAndEnable(t *testing.T) {
	e := newResellerEnv(t)
	if _, err := e.run("", "add", "-name", "Acme", "-email", "a@acme.example", "-source", "group:3"); err != nil {
		t.Fatal(err)
	}
	out, err := e.run("", "totp", "-email", "a@acme.example")
	if err != nil {
		t.Fatalf("totp: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^secret: ([A-Z2-7]+)$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "otpauth://totp/staas:a@acme.example?") || e.resellers()[0].TOTPSecret != m[1] {
		t.Fatalf("totp printed %q; stored %q", out, e.resellers()[0].TOTPSecret)
	}
	if out, err := e.run("", "list"); err != nil || strings.Contains(out, m[1]) || !strings.Contains(out, "yes") {
		t.Fatalf("list after totp: %v\n%s", err, out)
	}
	if _, err := e.run("", "totp", "-email", "a@acme.example", "-remove"); err != nil || e.resellers()[0].TOTPSecret != "" {
		t.Fatalf("totp -remove: %v", err)
	}
	if _, err := e.run("", "disable", "-email", "a@acme.example"); err != nil {
		t.Fatal(err)
	}
	if out, err := e.run("", "enable", "-email", "a@acme.example"); err != nil || !strings.Contains(out, "enabled") || e.resellers()[0].State != store.ResellerActive {
		t.Fatalf("enable: %v\n%s", err, out)
	}
	st, err := store.Open(context.Background(), "sqlite", e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	audit, err := st.Audit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i := len(audit) - 1; i >= 0; i-- {
		actions = append(actions, audit[i].Action+" by "+audit[i].AdminName)
	}
	want := "reseller-add by operator (staas reseller),reseller-totp-enrol by operator (staas reseller),reseller-totp-remove by operator (staas reseller),reseller-disable by operator (staas reseller),reseller-enable by operator (staas reseller)"
	if strings.Join(actions, ",") != want {
		t.Fatalf("audit %q", actions)
	}
}
