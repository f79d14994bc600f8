package ostorsim_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"staas/standin/ostorsim"
)

var (
	userIDRe    = regexp.MustCompile(`^[0-9a-f]{16}$`)
	accessKeyRe = regexp.MustCompile(`^[0-9a-f]{16}[A-Z0-9]{4}$`)
	secretRe    = regexp.MustCompile(`^[A-Za-z0-9]{40}$`)
)

type keyJSON struct {
	AWSAccessKeyId     string
	AWSSecretAccessKey string
}

type userJSON struct {
	UserEmail     string
	UserId        string
	State         string
	OwnerId       string
	Flags         []string
	AWSAccessKeys []keyJSON
	AccountCount  string
	Accounts      []struct {
		Name          string
		AWSAccessKeys []keyJSON
	}
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return v
}

func checkKey(t *testing.T, userID string, k keyJSON) {
	t.Helper()
	if !accessKeyRe.MatchString(k.AWSAccessKeyId) || k.AWSAccessKeyId[:16] != userID || !secretRe.MatchString(k.AWSSecretAccessKey) {
		t.Errorf("key pair %+v does not have the documented shape for user %s", k, userID)
	}
}

func TestUserLifecycle(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	const email = "a&b=c#d@example.com" // would add parameters if not encoded

	created := decode[userJSON](t, h.must(200, "PUT", q("ostor-users", "emailAddress", email)).body)
	if created.UserEmail != email || !userIDRe.MatchString(created.UserId) || len(created.AWSAccessKeys) != 1 {
		t.Fatalf("created %+v", created)
	}
	checkKey(t, created.UserId, created.AWSAccessKeys[0])
	h.mustErr(409, "User already exists", "PUT", q("ostor-users", "emailAddress", email))

	// List: a bare array, the system user first.
	list := decode[[]userJSON](t, h.must(200, "GET", "ostor-users").body)
	if len(list) != 2 || list[0].UserId != h.creds.UserID || list[1].UserId != created.UserId {
		t.Fatalf("list %+v", list)
	}
	if len(list[0].Flags) != 1 || list[0].Flags[0] != "system" || list[1].Flags == nil || len(list[1].Flags) != 0 {
		t.Errorf("flags: %+v / %+v", list[0].Flags, list[1].Flags)
	}
	if list[1].State != "enabled" || list[1].OwnerId != "0000000000000000" {
		t.Errorf("list item %+v", list[1])
	}

	// Query by email and by id give the same user; both at once is refused.
	byEmail := h.must(200, "GET", q("ostor-users", "emailAddress", email)).body
	byID := h.must(200, "GET", q("ostor-users", "id", created.UserId)).body
	if byEmail != byID {
		t.Errorf("by email %s\nby id %s", byEmail, byID)
	}
	want := `{"UserEmail":"a&b=c#d@example.com","UserId":"` + created.UserId + `","State":"enabled","OwnerId":"0000000000000000","Flags":[],"AWSAccessKeys":[{"AWSAccessKeyId":"` +
		created.AWSAccessKeys[0].AWSAccessKeyId + `","AWSSecretAccessKey":"` + created.AWSAccessKeys[0].AWSSecretAccessKey + `"}],"AccountCount":"0","Accounts":[]}`
	if byEmail != want {
		t.Errorf("query\n got %s\nwant %s", byEmail, want)
	}
	h.mustErr(400, "emailAddress and id are mutually exclusive", "GET", q("ostor-users", "emailAddress", email, "id", created.UserId))
	h.mustErr(404, "User not found", "GET", q("ostor-users", "emailAddress", "nobody@example.com"))

	// Disable / enable answer 200 with an empty body.
	res := h.must(200, "POST", q("ostor-users", "emailAddress", email, "disable", flag))
	if res.body != "" {
		t.Errorf("disable body %q", res.body)
	}
	if u := decode[userJSON](t, h.must(200, "GET", q("ostor-users", "id", created.UserId)).body); u.State != "disabled" {
		t.Errorf("after disable: %s", u.State)
	}
	h.must(200, "POST", q("ostor-users", "id", created.UserId, "enable", flag))
	if u := decode[userJSON](t, h.must(200, "GET", q("ostor-users", "id", created.UserId)).body); u.State != "enabled" {
		t.Errorf("after enable: %s", u.State)
	}
	h.mustErr(400, "", "POST", q("ostor-users", "emailAddress", email, "disable", flag, "enable", flag))

	// Keys: a second pair, then the limit; revoke frees a slot.
	gen := decode[userJSON](t, h.must(200, "POST", q("ostor-users", "emailAddress", email, "genKey", flag)).body)
	if gen.UserId != created.UserId || len(gen.AWSAccessKeys) != 1 || gen.AWSAccessKeys[0] == created.AWSAccessKeys[0] {
		t.Fatalf("genKey %+v", gen)
	}
	checkKey(t, created.UserId, gen.AWSAccessKeys[0])
	h.mustErr(409, "A user can only have two key pairs", "POST", q("ostor-users", "emailAddress", email, "genKey", flag))
	if u := decode[userJSON](t, h.must(200, "GET", q("ostor-users", "id", created.UserId)).body); len(u.AWSAccessKeys) != 2 {
		t.Errorf("keys after genKey: %+v", u.AWSAccessKeys)
	}
	h.must(200, "POST", q("ostor-users", "emailAddress", email, "revokeKey", created.AWSAccessKeys[0].AWSAccessKeyId))
	h.mustErr(404, "Key not found", "POST", q("ostor-users", "emailAddress", email, "revokeKey", created.AWSAccessKeys[0].AWSAccessKeyId))
	u := decode[userJSON](t, h.must(200, "GET", q("ostor-users", "id", created.UserId)).body)
	if len(u.AWSAccessKeys) != 1 || u.AWSAccessKeys[0] != gen.AWSAccessKeys[0] {
		t.Errorf("keys after revoke: %+v", u.AWSAccessKeys)
	}
	h.must(200, "POST", q("ostor-users", "emailAddress", email, "genKey", flag))

	// Delete.
	res = h.must(204, "DELETE", q("ostor-users", "emailAddress", email))
	if res.body != "" {
		t.Errorf("delete body %q", res.body)
	}
	h.mustErr(404, "User not found", "GET", q("ostor-users", "id", created.UserId))
	h.mustErr(404, "User not found", "DELETE", q("ostor-users", "id", created.UserId))
	if list := decode[[]userJSON](t, h.must(200, "GET", "ostor-users").body); len(list) != 1 {
		t.Errorf("after delete, list %+v", list)
	}
}

func TestListUsersWrapped(t *testing.T) {
	h := newHarness(t, ostorsim.Options{ListUsersWrapped: true})
	body := h.must(200, "GET", "ostor-users").body
	wrapped := decode[struct{ Users []userJSON }](t, body)
	if len(wrapped.Users) != 1 || wrapped.Users[0].UserId != h.creds.UserID {
		t.Fatalf("%s", body)
	}
}

func TestAccounts(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	user := decode[userJSON](t, h.must(200, "PUT", q("ostor-users", "emailAddress", "acc@example.com")).body)

	acc := decode[struct {
		Name          string
		AWSAccessKeys []keyJSON
	}](t, h.must(200, "POST", q("ostor-accounts", "emailAddress", "acc@example.com", "accountName", "team one")).body)
	if acc.Name != "team one" || len(acc.AWSAccessKeys) != 1 {
		t.Fatalf("account %+v", acc)
	}
	checkKey(t, user.UserId, acc.AWSAccessKeys[0])
	h.mustErr(409, "Account already exists", "POST", q("ostor-accounts", "id", user.UserId, "accountName", "team one"))
	h.must(200, "POST", q("ostor-accounts", "id", user.UserId, "accountName", "two"))

	got := decode[userJSON](t, h.must(200, "GET", q("ostor-users", "emailAddress", "acc@example.com")).body)
	if got.AccountCount != "2" || len(got.Accounts) != 2 || got.Accounts[0].Name != "team one" || got.Accounts[0].AWSAccessKeys[0] != acc.AWSAccessKeys[0] {
		t.Fatalf("user with accounts %+v", got)
	}

	// An account has its own two-pair limit.
	h.must(200, "POST", q("ostor-users", "emailAddress", "acc@example.com", "accountName", "team one", "genKey", flag))
	h.mustErr(409, "An account can only have two key pairs", "POST", q("ostor-users", "emailAddress", "acc@example.com", "accountName", "team one", "genKey", flag))
	h.must(200, "POST", q("ostor-users", "emailAddress", "acc@example.com", "accountName", "team one", "revokeKey", acc.AWSAccessKeys[0].AWSAccessKeyId))
	h.mustErr(404, "Account not found", "POST", q("ostor-users", "emailAddress", "acc@example.com", "accountName", "nope", "genKey", flag))

	h.must(204, "DELETE", q("ostor-accounts", "emailAddress", "acc@example.com", "accountName", "team one"))
	h.mustErr(404, "Account not found", "DELETE", q("ostor-accounts", "emailAddress", "acc@example.com", "accountName", "team one"))
	h.mustErr(400, "accountName is required", "POST", q("ostor-accounts", "emailAddress", "acc@example.com"))
	if got := decode[userJSON](t, h.must(200, "GET", q("ostor-users", "id", user.UserId)).body); got.AccountCount != "1" || got.Accounts[0].Name != "two" {
		t.Errorf("after delete %+v", got)
	}
}

func TestUserOwningBucketsCannotBeDeleted(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	h.must(200, "PUT", q("ostor-users", "emailAddress", "owner@example.com"))
	if err := h.sim.CreateBucket("owner@example.com", "b1"); err != nil {
		t.Fatal(err)
	}
	h.mustErr(409, "User owns buckets", "DELETE", q("ostor-users", "emailAddress", "owner@example.com"))
	if err := h.sim.DeleteBucket("b1"); err != nil {
		t.Fatal(err)
	}
	h.must(204, "DELETE", q("ostor-users", "emailAddress", "owner@example.com"))
}

func TestSeededIDsAreDeterministic(t *testing.T) {
	a := ostorsim.MustNew(ostorsim.Options{Seed: 42}).SystemCredentials()
	b := ostorsim.MustNew(ostorsim.Options{Seed: 42}).SystemCredentials()
	c := ostorsim.MustNew(ostorsim.Options{Seed: 43}).SystemCredentials()
	if a != b || a == c {
		t.Fatalf("seed 42: %+v / %+v; seed 43: %+v", a, b, c)
	}
	fixed := ostorsim.MustNew(ostorsim.Options{SystemEmail: "admin@x", SystemAccessKey: "ADMINKEY", SystemSecretKey: "sekret"}).SystemCredentials()
	if fixed.Email != "admin@x" || fixed.AccessKey != "ADMINKEY" || fixed.SecretKey != "sekret" || !userIDRe.MatchString(fixed.UserID) {
		t.Fatalf("fixed %+v", fixed)
	}
}

func TestAddSystemUserCanAdminister(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	second, err := h.sim.AddSystemUser("ops@example.com")
	if err != nil {
		t.Fatal(err)
	}
	r := h.newRequest(http.MethodGet, "ostor-users")
	testSignV2(r, second.AccessKey, second.SecretKey)
	if res := h.send(r); res.status != 200 {
		t.Fatalf("second system user: %d %s", res.status, res.errMsg())
	}
	if _, err := h.sim.AddSystemUser("ops@example.com"); err == nil {
		t.Fatal("duplicate system user accepted")
	}
}

// The older API reference (Virtuozzo Object Storage Orchestration API,
// put-service-ostor-users) generates and revokes keys with PUT.
func TestKeysByPUT(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	const email = "put@example.com"
	created := decode[userJSON](t, h.must(200, "PUT", q("ostor-users", "emailAddress", email)).body)
	gen := decode[userJSON](t, h.must(200, "PUT", q("ostor-users", "emailAddress", email, "genKey", flag)).body)
	if gen.UserId != created.UserId || len(gen.AWSAccessKeys) != 1 || gen.AWSAccessKeys[0] == created.AWSAccessKeys[0] {
		t.Fatalf("genKey by PUT %+v", gen)
	}
	h.mustErr(409, "A user can only have two key pairs", "PUT", q("ostor-users", "emailAddress", email, "genKey", flag))
	h.must(200, "PUT", q("ostor-users", "emailAddress", email, "revokeKey", created.AWSAccessKeys[0].AWSAccessKeyId))
	u := decode[userJSON](t, h.must(200, "GET", q("ostor-users", "emailAddress", email)).body)
	if len(u.AWSAccessKeys) != 1 || u.AWSAccessKeys[0] != gen.AWSAccessKeys[0] {
		t.Errorf("keys after revoke by PUT: %+v", u.AWSAccessKeys)
	}
	// Disabling stays POST only, and PUT without an action still creates.
	h.mustErr(400, "", "PUT", q("ostor-users", "emailAddress", email, "disable", flag, "genKey", flag))
	h.mustErr(409, "User already exists", "PUT", q("ostor-users", "emailAddress", email))
}
