package ostorsim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// maxKeyPairs is the documented limit of key pairs per user and per account.
const maxKeyPairs = 2

// ownerIDZero is what every documented example shows as OwnerId.
const ownerIDZero = "0000000000000000"

type user struct {
	id       string
	email    string
	enabled  bool
	system   bool
	keys     []keyPair
	accounts []*account // creation order
	limits   limits
	quota    uint64 // GB; 0 = unlimited or never set
}

type account struct {
	name string
	keys []keyPair
}

type keyPair struct {
	AccessKeyID     string `json:"AWSAccessKeyId"`
	SecretAccessKey string `json:"AWSSecretAccessKey"`
}

// keyOwner says whose an access key is; account is "" for the user's own.
type keyOwner struct {
	userID  string
	account string
}

func (u *user) flags() []string {
	if u.system {
		return []string{"system"}
	}
	return []string{}
}

func (u *user) stateName() string {
	if u.enabled {
		return "enabled"
	}
	return "disabled"
}

func (u *user) account(name string) *account {
	for _, a := range u.accounts {
		if a.name == name {
			return a
		}
	}
	return nil
}

const (
	hexDigits    = "0123456789abcdef"
	keySuffixSet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretSet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

func (st *state) randString(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[st.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (st *state) newUserID() string {
	for {
		id := st.randString(16, hexDigits)
		if _, taken := st.users[id]; !taken && id != ownerIDZero {
			return id
		}
	}
}

// newKeyPair generates a pair in the documented shape (user id + 4 chars,
// 40-char secret) and registers it to owner.
func (st *state) newKeyPair(owner keyOwner) keyPair {
	for {
		ak := owner.userID + st.randString(4, keySuffixSet)
		if _, taken := st.keys[ak]; taken {
			continue
		}
		st.keys[ak] = owner
		return keyPair{AccessKeyID: ak, SecretAccessKey: st.randString(40, secretSet)}
	}
}

func validEmail(email string) error {
	if email == "" {
		return badRequest("emailAddress is empty")
	}
	if len(email) > 256 {
		return badRequest("emailAddress is longer than 256 bytes")
	}
	for i := 0; i < len(email); i++ {
		if email[i] < 0x20 || email[i] == 0x7f {
			return badRequest("emailAddress contains a control character")
		}
	}
	return nil
}

func (st *state) createUser(email string, system bool) (*user, error) {
	if err := validEmail(email); err != nil {
		return nil, err
	}
	if _, exists := st.byEmail[email]; exists {
		return nil, conflict("UserAlreadyExists", "User already exists")
	}
	u := &user{id: st.newUserID(), email: email, enabled: true, system: system}
	u.keys = []keyPair{st.newKeyPair(keyOwner{userID: u.id})}
	st.users[u.id] = u
	st.userOrder = append(st.userOrder, u.id)
	st.byEmail[email] = u.id
	return u, nil
}

// replaceOnlyKey swaps a new user's generated pair for a fixed one
// (Options.SystemAccessKey/SystemSecretKey).
func (st *state) replaceOnlyKey(u *user, accessKey, secretKey string) error {
	old := u.keys[0]
	if accessKey == "" {
		accessKey = old.AccessKeyID
	}
	if secretKey == "" {
		secretKey = old.SecretAccessKey
	}
	for i := 0; i < len(accessKey); i++ {
		if c := accessKey[i]; c <= ' ' || c == ':' || c == '/' || c >= 0x7f {
			return fmt.Errorf("ostorsim: access key %q may not contain %q", accessKey, c)
		}
	}
	if owner, taken := st.keys[accessKey]; taken && owner.userID != u.id {
		return fmt.Errorf("ostorsim: access key %q already in use", accessKey)
	}
	delete(st.keys, old.AccessKeyID)
	st.keys[accessKey] = keyOwner{userID: u.id}
	u.keys[0] = keyPair{AccessKeyID: accessKey, SecretAccessKey: secretKey}
	return nil
}

func (st *state) userByEmail(email string) *user {
	if id, ok := st.byEmail[email]; ok {
		return st.users[id]
	}
	return nil
}

// selectUser resolves the emailAddress-or-id selector every user-scoped call
// takes. Exactly one of the two must be present.
func (st *state) selectUser(c *call) (*user, error) {
	email, byEmail := c.value("emailAddress")
	id, byID := c.value("id")
	switch {
	case byEmail && byID:
		return nil, badRequest("emailAddress and id are mutually exclusive")
	case byEmail:
		if u := st.userByEmail(email); u != nil {
			return u, nil
		}
	case byID:
		if u, ok := st.users[id]; ok {
			return u, nil
		}
	default:
		return nil, badRequest("emailAddress or id is required")
	}
	return nil, notFound("NoSuchUser", "User not found")
}

func (st *state) deleteUser(u *user) error {
	for _, b := range st.buckets {
		if b.ownerID == u.id {
			return conflict("UserOwnsBuckets", "User owns buckets")
		}
	}
	for _, k := range u.keys {
		delete(st.keys, k.AccessKeyID)
	}
	for _, a := range u.accounts {
		for _, k := range a.keys {
			delete(st.keys, k.AccessKeyID)
		}
	}
	delete(st.users, u.id)
	delete(st.byEmail, u.email)
	st.userOrder = slices.DeleteFunc(st.userOrder, func(id string) bool { return id == u.id })
	return nil
}

// JSON shapes of ostor-users answers.
type (
	userKeysJSON struct {
		UserEmail     string    `json:"UserEmail"`
		UserID        string    `json:"UserId"`
		AWSAccessKeys []keyPair `json:"AWSAccessKeys"`
	}
	userListItemJSON struct {
		UserEmail string         `json:"UserEmail"`
		UserID    string         `json:"UserId"`
		State     string         `json:"State"`
		OwnerID   string         `json:"OwnerId"`
		Flags     []string       `json:"Flags"`
		SpaceStat *spaceStatJSON `json:"SpaceStat,omitempty"`
		Space     *sizeJSON      `json:"space,omitempty"`
	}
	// spaceStatJSON is the default shape of a user's space (see
	// Options.UserSpaceAsSize).
	spaceStatJSON struct {
		LastTS   int64  `json:"LastTs"`
		SizeCurr uint64 `json:"SizeCurr"`
		SizeHMax uint64 `json:"SizeHMax"`
		SizeHInt uint64 `json:"SizeHInt"`
	}
	accountJSON struct {
		Name          string    `json:"Name"`
		AWSAccessKeys []keyPair `json:"AWSAccessKeys"`
	}
	userDetailJSON struct {
		UserEmail     string        `json:"UserEmail"`
		UserID        string        `json:"UserId"`
		State         string        `json:"State"`
		OwnerID       string        `json:"OwnerId"`
		Flags         []string      `json:"Flags"`
		AWSAccessKeys []keyPair     `json:"AWSAccessKeys"`
		AccountCount  string        `json:"AccountCount"`
		Accounts      []accountJSON `json:"Accounts"`
	}
)

func keysCopy(keys []keyPair) []keyPair {
	return append([]keyPair{}, keys...)
}

func (s *Sim) handleUsers(c *call) (reply, error) {
	st := &s.st
	switch c.method {
	case http.MethodGet:
		if c.has("emailAddress") || c.has("id") {
			if err := c.only([]string{"emailAddress", "id"}, nil); err != nil {
				return reply{}, err
			}
			u, err := st.selectUser(c)
			if err != nil {
				return reply{}, err
			}
			return ok(userDetail(u)), nil
		}
		if err := c.only(nil, []string{"space"}); err != nil {
			return reply{}, err
		}
		return ok(s.listUsers(c.has("space"))), nil

	case http.MethodPut:
		// The older API reference generates and revokes keys with PUT
		// ("Creates a new user or generates/revokes access key pairs");
		// newer ones with POST. Both are served alike.
		if c.has("genKey") || c.has("revokeKey") {
			return s.userAction(c)
		}
		if err := c.only([]string{"emailAddress"}, nil); err != nil {
			return reply{}, err
		}
		email, present := c.value("emailAddress")
		if !present {
			return reply{}, badRequest("emailAddress is required")
		}
		u, err := st.createUser(email, false)
		if err != nil {
			return reply{}, err
		}
		return ok(userKeysJSON{UserEmail: u.email, UserID: u.id, AWSAccessKeys: keysCopy(u.keys)}), nil

	case http.MethodPost:
		return s.userAction(c)

	case http.MethodDelete:
		if err := c.only([]string{"emailAddress", "id"}, nil); err != nil {
			return reply{}, err
		}
		u, err := st.selectUser(c)
		if err != nil {
			return reply{}, err
		}
		if err := st.deleteUser(u); err != nil {
			return reply{}, err
		}
		return noContent(), nil
	}
	return reply{}, methodNotAllowed(c)
}

// userAction serves the POST actions: disable, enable, genKey, revokeKey,
// the last two also for an account (accountName); genKey and revokeKey
// also by PUT.
func (s *Sim) userAction(c *call) (reply, error) {
	st := &s.st
	flags := []string{"disable", "enable", "genKey"}
	if c.method == http.MethodPut {
		// Luzilla/acronis-s3-usage c3d5025: "lock/unlock requires POST".
		flags = []string{"genKey"}
	}
	if err := c.only([]string{"emailAddress", "id", "accountName", "revokeKey"}, flags); err != nil {
		return reply{}, err
	}
	actions := 0
	for _, a := range []string{"disable", "enable", "genKey", "revokeKey"} {
		if c.has(a) {
			actions++
		}
	}
	if actions != 1 {
		return reply{}, badRequest("exactly one of disable, enable, genKey, revokeKey is required")
	}
	u, err := st.selectUser(c)
	if err != nil {
		return reply{}, err
	}
	accountName, forAccount := c.value("accountName")
	var acc *account
	if forAccount {
		if c.has("disable") || c.has("enable") {
			return reply{}, badRequest("accountName cannot be disabled or enabled")
		}
		if acc = u.account(accountName); acc == nil {
			return reply{}, notFound("NoSuchAccount", "Account not found")
		}
	}

	switch {
	case c.has("disable"):
		u.enabled = false
		return emptyOK(), nil
	case c.has("enable"):
		u.enabled = true
		return emptyOK(), nil
	case c.has("genKey"):
		if acc != nil {
			if len(acc.keys) >= maxKeyPairs {
				return reply{}, conflict("KeyLimitExceeded", "An account can only have two key pairs")
			}
			k := st.newKeyPair(keyOwner{userID: u.id, account: acc.name})
			acc.keys = append(acc.keys, k)
			return ok(accountJSON{Name: acc.name, AWSAccessKeys: s.genKeyAnswer(acc.keys)}), nil
		}
		if len(u.keys) >= maxKeyPairs {
			return reply{}, conflict("KeyLimitExceeded", "A user can only have two key pairs")
		}
		k := st.newKeyPair(keyOwner{userID: u.id})
		u.keys = append(u.keys, k)
		return ok(userKeysJSON{UserEmail: u.email, UserID: u.id, AWSAccessKeys: s.genKeyAnswer(u.keys)}), nil
	default: // revokeKey
		key, _ := c.value("revokeKey")
		keys := &u.keys
		if acc != nil {
			keys = &acc.keys
		}
		i := slices.IndexFunc(*keys, func(k keyPair) bool { return k.AccessKeyID == key })
		if i < 0 {
			return reply{}, notFound("NoSuchKey", "Key not found")
		}
		*keys = slices.Delete(*keys, i, i+1)
		delete(st.keys, key)
		return emptyOK(), nil
	}
}

// genKeyAnswer lists the pairs a genKey answer shows (Options.GenKeyAnswer);
// keys ends with the new pair.
func (s *Sim) genKeyAnswer(keys []keyPair) []keyPair {
	n := len(keys)
	switch s.opts.GenKeyAnswer {
	case KeyAnswerAllNewFirst:
		return append([]keyPair{keys[n-1]}, keys[:n-1]...)
	case KeyAnswerAllNewLast:
		return keysCopy(keys)
	}
	return []keyPair{keys[n-1]}
}

func userDetail(u *user) userDetailJSON {
	d := userDetailJSON{
		UserEmail:     u.email,
		UserID:        u.id,
		State:         u.stateName(),
		OwnerID:       ownerIDZero,
		Flags:         u.flags(),
		AWSAccessKeys: keysCopy(u.keys),
		AccountCount:  strconv.Itoa(len(u.accounts)),
		Accounts:      []accountJSON{},
	}
	for _, a := range u.accounts {
		d.Accounts = append(d.Accounts, accountJSON{Name: a.name, AWSAccessKeys: keysCopy(a.keys)})
	}
	return d
}

func (s *Sim) listUsers(withSpace bool) any {
	st := &s.st
	items := make([]userListItemJSON, 0, len(st.userOrder))
	for _, id := range st.userOrder {
		u := st.users[id]
		item := userListItemJSON{
			UserEmail: u.email, UserID: u.id, State: u.stateName(), OwnerID: ownerIDZero, Flags: u.flags(),
		}
		if withSpace {
			space := st.userSpace(u.id)
			if s.opts.UserSpaceAsSize {
				item.Space = &space
			} else {
				item.SpaceStat = &spaceStatJSON{LastTS: space.LastTS, SizeCurr: space.Current, SizeHMax: space.HMax, SizeHInt: space.HIntegral}
			}
		}
		items = append(items, item)
	}
	if s.opts.ListUsersWrapped {
		return struct {
			Users []userListItemJSON `json:"Users"`
		}{items}
	}
	return items
}

// ostor-accounts: create and delete a user's sub-accounts.
func (s *Sim) handleAccounts(c *call) (reply, error) {
	st := &s.st
	if c.method != http.MethodPost && c.method != http.MethodDelete {
		return reply{}, methodNotAllowed(c)
	}
	if err := c.only([]string{"emailAddress", "id", "accountName"}, nil); err != nil {
		return reply{}, err
	}
	name, present := c.value("accountName")
	if !present || name == "" {
		return reply{}, badRequest("accountName is required")
	}
	u, err := st.selectUser(c)
	if err != nil {
		return reply{}, err
	}
	if c.method == http.MethodDelete {
		acc := u.account(name)
		if acc == nil {
			return reply{}, notFound("NoSuchAccount", "Account not found")
		}
		for _, k := range acc.keys {
			delete(st.keys, k.AccessKeyID)
		}
		u.accounts = slices.DeleteFunc(u.accounts, func(a *account) bool { return a == acc })
		return noContent(), nil
	}
	if u.account(name) != nil {
		return reply{}, conflict("AccountAlreadyExists", "Account already exists")
	}
	acc := &account{name: name}
	acc.keys = []keyPair{st.newKeyPair(keyOwner{userID: u.id, account: name})}
	u.accounts = append(u.accounts, acc)
	return ok(accountJSON{Name: acc.name, AWSAccessKeys: keysCopy(acc.keys)}), nil
}
