package ostor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// The decoders take an io.Reader so they can be fuzzed and reused on saved
// answers. They are lenient about representation (a number may arrive as
// a string, as AccountCount does in the guide) and strict about meaning
// (a negative or fractional counter is an error, never a silent zero).

// DecodeError says an answer did not have the documented shape.
type DecodeError struct {
	What string // "users", "usage object", …
	Err  error
}

func (e *DecodeError) Error() string {
	return "ostor: malformed " + e.What + " answer: " + e.Err.Error()
}
func (e *DecodeError) Unwrap() error { return e.Err }

// flexUint is an unsigned 64-bit integer sent as a JSON number or string.
// It is parsed from the literal, never through float64, so every value up
// to 18446744073709551615 is exact.
type flexUint uint64

func (u *flexUint) UnmarshalJSON(b []byte) error {
	// Fast path for the common case, a plain JSON number: no string is
	// allocated, which matters for usage objects with millions of counters.
	if v, ok := parseDigits(b); ok {
		*u = flexUint(v)
		return nil
	}
	s, null, err := literal(b)
	if err != nil || null {
		return err
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%.40q is not an unsigned 64-bit integer", s)
	}
	*u = flexUint(v)
	return nil
}

// parseDigits parses b if it is 1 to 20 ASCII digits fitting in uint64.
func parseDigits(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// flexFloat is a finite, non-negative decimal sent as a JSON number or
// string ("3600.00").
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s, null, err := literal(b)
	if err != nil || null {
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("%.40q is not a finite non-negative number", s)
	}
	*f = flexFloat(v)
	return nil
}

// flexString is a string that may arrive as a JSON number ("version":1).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	s, null, err := literal(b)
	if err != nil || null {
		return err
	}
	*f = flexString(s)
	return nil
}

// flexStrings is a list of strings that may arrive as one string.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexStrings{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*f = list
	return nil
}

// serviceID keeps the collecting service's id digit for digit. The guide
// prints it as a 17-digit JSON number; a string of hex digits (as in the
// object names) is accepted too.
type serviceID string

func (s *serviceID) UnmarshalJSON(b []byte) error {
	lit, null, err := literal(b)
	if err != nil || null {
		return err
	}
	quoted := b[0] == '"'
	if lit == "" || len(lit) > 64 {
		return fmt.Errorf("service_id %.40q is not 1 to 64 digits", lit)
	}
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		digit := c >= '0' && c <= '9'
		hex := c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
		if !digit && !(quoted && hex) {
			return fmt.Errorf("service_id %.40q is not a string of digits", lit)
		}
	}
	*s = serviceID(lit)
	return nil
}

// literal returns a JSON scalar's text: a string's contents or a number's
// digits. null is reported so the caller can leave its zero value.
func literal(b []byte) (s string, null bool, err error) {
	switch {
	case len(b) == 0:
		return "", false, errors.New("empty value")
	case string(b) == "null":
		return "", true, nil
	case b[0] == '"':
		err := json.Unmarshal(b, &s)
		return s, false, err
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		return string(b), false, nil
	default:
		return "", false, fmt.Errorf("%.40q is neither a number nor a string", b)
	}
}

// Wire shapes. Field matching is encoding/json's (case-insensitive), so
// "Users" and "users" both decode.

type wireKey struct {
	AccessKeyID     string `json:"AWSAccessKeyId"`
	SecretAccessKey string `json:"AWSSecretAccessKey"`
}

type wireAccount struct {
	Name string    `json:"Name"`
	Keys []wireKey `json:"AWSAccessKeys"`
}

type wireSize struct {
	Current   flexUint `json:"current"`
	HMax      flexUint `json:"hmax"`
	HIntegral flexUint `json:"h_integral"`
	LastTS    flexUint `json:"last_ts"`
}

type wireUser struct {
	Email        string        `json:"UserEmail"`
	ID           string        `json:"UserId"`
	State        string        `json:"State"`
	OwnerID      string        `json:"OwnerId"`
	Flags        flexStrings   `json:"Flags"`
	Keys         []wireKey     `json:"AWSAccessKeys"`
	AccountCount flexUint      `json:"AccountCount"`
	Accounts     []wireAccount `json:"Accounts"`
	// The space block of GET ?ostor-users&space arrives in one of two
	// shapes: "SpaceStat" with LastTs/SizeCurr/SizeHMax/SizeHInt (what a
	// public client, Luzilla/acronis-s3-usage pkg/ostor/types.go, decodes
	// from real gateways), or "space" shaped like a bucket's size block
	// (our earlier assumption). Both are read; SpaceStat wins if both come.
	SpaceStat *wireSpaceStat `json:"SpaceStat"`
	Space     *wireSize      `json:"space"`
}

// wireSpaceStat is the SpaceStat block: the same four figures as a
// bucket's size block under other names.
type wireSpaceStat struct {
	LastTS    flexUint `json:"LastTs"`
	Current   flexUint `json:"SizeCurr"`
	HMax      flexUint `json:"SizeHMax"`
	HIntegral flexUint `json:"SizeHInt"`
}

// wireUserList accepts both list shapes seen in the wild: a bare array
// (the vendor guide) and {"Users":[…]} (a public client's comments).
type wireUserList []wireUser

func (l *wireUserList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, (*[]wireUser)(l))
	}
	if len(b) > 0 && b[0] == '{' {
		var w struct {
			Users []wireUser `json:"Users"`
		}
		if err := json.Unmarshal(b, &w); err != nil {
			return err
		}
		*l = w.Users
		return nil
	}
	return errors.New("users are neither an array nor {\"Users\":[…]}")
}

type wireBucket struct {
	Name         string   `json:"name"`
	Epoch        flexUint `json:"epoch"`
	CreationDate string   `json:"creation_date"`
	OwnerID      string   `json:"owner_id"`
	Size         wireSize `json:"size"`
}

type wireLimits struct {
	OpsDefault   flexFloat `json:"ops:default"`
	OpsGet       flexFloat `json:"ops:get"`
	OpsPut       flexFloat `json:"ops:put"`
	OpsList      flexFloat `json:"ops:list"`
	OpsDelete    flexFloat `json:"ops:delete"`
	BandwidthOut flexUint  `json:"bandwidth:out"`
}

type wireQuota struct {
	Version flexString `json:"version"`
	Type    flexString `json:"type"`
	Size    flexUint   `json:"size"`
}

type wireUsageList struct {
	Count     flexUint `json:"nr_items"`
	Truncated bool     `json:"truncated"`
	Items     []string `json:"items"`
}

type wireUsageItem struct {
	Key struct {
		Bucket string   `json:"bucket"`
		Epoch  flexUint `json:"epoch"`
		UserID string   `json:"user_id"`
		Tag    string   `json:"tag"`
	} `json:"key"`
	Counters struct {
		Ops struct {
			Put   flexUint `json:"put"`
			Get   flexUint `json:"get"`
			List  flexUint `json:"list"`
			Other flexUint `json:"other"`
		} `json:"ops"`
		NetIO struct {
			Uploaded   flexUint `json:"uploaded"`
			Downloaded flexUint `json:"downloaded"`
		} `json:"net_io"`
	} `json:"counters"`
}

// Conversions from wire to public types.

func (w wireKey) pair() KeyPair {
	return KeyPair{AccessKeyID: w.AccessKeyID, SecretAccessKey: w.SecretAccessKey}
}

func pairs(w []wireKey) []KeyPair {
	if len(w) == 0 {
		return nil
	}
	out := make([]KeyPair, len(w))
	for i, k := range w {
		out[i] = k.pair()
	}
	return out
}

func (w wireSize) size() Size {
	return Size{Current: uint64(w.Current), HMax: uint64(w.HMax), HIntegral: uint64(w.HIntegral), LastTS: uint64(w.LastTS)}
}

func (w wireUser) user() User {
	u := User{
		Email:        w.Email,
		ID:           w.ID,
		State:        w.State,
		OwnerID:      w.OwnerID,
		Flags:        []string(w.Flags),
		Keys:         pairs(w.Keys),
		AccountCount: uint64(w.AccountCount),
	}
	for _, a := range w.Accounts {
		u.Accounts = append(u.Accounts, Account{Name: a.Name, Keys: pairs(a.Keys)})
	}
	switch {
	case w.SpaceStat != nil:
		u.Space = &Size{Current: uint64(w.SpaceStat.Current), HMax: uint64(w.SpaceStat.HMax),
			HIntegral: uint64(w.SpaceStat.HIntegral), LastTS: uint64(w.SpaceStat.LastTS)}
	case w.Space != nil:
		s := w.Space.size()
		u.Space = &s
	}
	return u
}

func (w wireBucket) bucket() (Bucket, error) {
	b := Bucket{Name: w.Name, Epoch: uint64(w.Epoch), OwnerID: w.OwnerID, Size: w.Size.size()}
	if w.CreationDate != "" {
		t, err := time.Parse(time.RFC3339Nano, w.CreationDate)
		if err != nil {
			return Bucket{}, fmt.Errorf("bucket %.64q: creation_date %.40q is not an RFC 3339 time", w.Name, w.CreationDate)
		}
		b.CreationDate = t.UTC()
	}
	return b, nil
}

func (w *wireUsageItem) item() UsageItem {
	return UsageItem{
		Key: UsageKey{
			Bucket: w.Key.Bucket,
			Epoch:  uint64(w.Key.Epoch),
			UserID: w.Key.UserID,
			Tag:    w.Key.Tag,
		},
		Ops: OpsCounters{
			Put:   uint64(w.Counters.Ops.Put),
			Get:   uint64(w.Counters.Ops.Get),
			List:  uint64(w.Counters.Ops.List),
			Other: uint64(w.Counters.Ops.Other),
		},
		Uploaded:   uint64(w.Counters.NetIO.Uploaded),
		Downloaded: uint64(w.Counters.NetIO.Downloaded),
	}
}

// decodeWhole decodes exactly one JSON value of the wanted kind ('{' or
// '[', or 0 for either) from r into v; anything after it is an error, so
// two concatenated answers cannot pass for one.
func decodeWhole(what string, r io.Reader, want byte, v any) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return &DecodeError{What: what, Err: err}
	}
	if (want != 0 && first != want) || (want == 0 && first != '{' && first != '[') {
		return &DecodeError{What: what, Err: fmt.Errorf("starts with %q", first)}
	}
	dec := json.NewDecoder(br)
	if err := dec.Decode(v); err != nil {
		return &DecodeError{What: what, Err: err}
	}
	if err := expectEOF(dec); err != nil {
		return &DecodeError{What: what, Err: err}
	}
	return nil
}

// firstByte peeks at the first non-space byte.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return 0, errors.New("empty answer")
		}
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, br.UnreadByte()
	}
}

func expectEOF(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return errors.New("data after the JSON value")
		}
		return err
	}
	return nil
}

// DecodeUsers decodes a user list, either a bare array or {"Users":[…]}.
func DecodeUsers(r io.Reader) ([]User, error) {
	var w wireUserList
	if err := decodeWhole("users", r, 0, &w); err != nil {
		return nil, err
	}
	users := make([]User, len(w))
	for i, u := range w {
		users[i] = u.user()
	}
	return users, nil
}

// DecodeUser decodes one user as a query by email or id returns it.
func DecodeUser(r io.Reader) (*User, error) {
	var w wireUser
	if err := decodeWhole("user", r, '{', &w); err != nil {
		return nil, err
	}
	u := w.user()
	return &u, nil
}

// DecodeUserKeys decodes the answer to creating a user or generating a
// key: the user's email and id and the new pair.
func DecodeUserKeys(r io.Reader) (*UserKeys, error) {
	var w wireUser
	if err := decodeWhole("user keys", r, '{', &w); err != nil {
		return nil, err
	}
	return &UserKeys{Email: w.Email, ID: w.ID, Keys: pairs(w.Keys)}, nil
}

// DecodeAccount decodes the answer to creating an account.
func DecodeAccount(r io.Reader) (*Account, error) {
	var w wireAccount
	if err := decodeWhole("account", r, '{', &w); err != nil {
		return nil, err
	}
	return &Account{Name: w.Name, Keys: pairs(w.Keys)}, nil
}

// DecodeBuckets decodes {"Buckets":[…]}.
func DecodeBuckets(r io.Reader) ([]Bucket, error) {
	var w struct {
		Buckets []wireBucket `json:"Buckets"`
	}
	if err := decodeWhole("buckets", r, '{', &w); err != nil {
		return nil, err
	}
	out := make([]Bucket, len(w.Buckets))
	for i, wb := range w.Buckets {
		b, err := wb.bucket()
		if err != nil {
			return nil, &DecodeError{What: "buckets", Err: err}
		}
		out[i] = b
	}
	return out, nil
}

// DecodeLimits decodes the six limit values, sent as strings ("3600.00",
// "100"). A key that is absent reads as 0 (unlimited), the gateway's
// value for a limit never set.
func DecodeLimits(r io.Reader) (*Limits, error) {
	var w wireLimits
	if err := decodeWhole("limits", r, '{', &w); err != nil {
		return nil, err
	}
	return &Limits{
		OpsDefault:   float64(w.OpsDefault),
		OpsGet:       float64(w.OpsGet),
		OpsPut:       float64(w.OpsPut),
		OpsList:      float64(w.OpsList),
		OpsDelete:    float64(w.OpsDelete),
		BandwidthOut: uint64(w.BandwidthOut),
	}, nil
}

// DecodeQuota decodes {"version","type","size"}. The API reference prints
// type as 0 (user) or 1 (bucket), the guides as "user"/"bucket"; both are
// accepted and reported as "user"/"bucket". Size is read as GB, the unit
// it is set in (the reference's "bytes" contradicts its own example).
func DecodeQuota(r io.Reader) (*Quota, error) {
	var w wireQuota
	if err := decodeWhole("quota", r, '{', &w); err != nil {
		return nil, err
	}
	q := &Quota{Version: string(w.Version), SizeGB: uint64(w.Size)}
	switch strings.ToLower(string(w.Type)) {
	case "user", "0":
		q.Type = "user"
	case "bucket", "1":
		q.Type = "bucket"
	default:
		return nil, &DecodeError{What: "quota", Err: fmt.Errorf("type %.40q is not user/bucket/0/1", string(w.Type))}
	}
	return q, nil
}

// DecodeUsageList decodes one page of statistics object names.
func DecodeUsageList(r io.Reader) (*UsageList, error) {
	var w wireUsageList
	if err := decodeWhole("usage list", r, '{', &w); err != nil {
		return nil, err
	}
	return &UsageList{Count: uint64(w.Count), Truncated: w.Truncated, Items: w.Items}, nil
}

// DecodeUsageObject decodes a whole statistics object into memory. For
// large objects prefer DecodeUsageStream, whose memory does not grow with
// the number of items.
func DecodeUsageObject(r io.Reader) (*UsageObject, error) {
	obj := &UsageObject{}
	h, err := DecodeUsageStream(r, func(it UsageItem) error {
		obj.Items = append(obj.Items, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	obj.UsageHeader = *h
	return obj, nil
}

// DecodeUsageStream decodes a statistics object one item at a time,
// calling fn for each in order; an error from fn stops decoding and is
// returned as is. The header fields may follow the items in the JSON, so
// the header is complete only when DecodeUsageStream returns.
func DecodeUsageStream(r io.Reader, fn func(UsageItem) error) (*UsageHeader, error) {
	const what = "usage object"
	fail := func(err error) (*UsageHeader, error) { return nil, &DecodeError{What: what, Err: err} }
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return fail(err)
	}
	h := &UsageHeader{}
	itemsSeen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		key, _ := tok.(string)
		var dst *uint64
		switch key {
		case "fmt_version":
			dst = &h.FmtVersion
		case "start_ts":
			dst = &h.StartTS
		case "period":
			dst = &h.Period
		case "nr_items":
			dst = &h.Count
		case "service_id":
			var id serviceID
			if err := dec.Decode(&id); err != nil {
				return fail(err)
			}
			h.ServiceID = string(id)
			continue
		case "items":
			if itemsSeen {
				// Two item arrays cannot both be right; refusing keeps the
				// streaming and whole decoders in agreement.
				return fail(errors.New("items appear twice"))
			}
			itemsSeen = true
			if err := streamItems(dec, fn); err != nil {
				if fe, ok := err.(fnError); ok {
					return nil, fe.err
				}
				return fail(err)
			}
			continue
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(err)
			}
			continue
		}
		var v flexUint
		if err := dec.Decode(&v); err != nil {
			return fail(fmt.Errorf("%s: %w", key, err))
		}
		*dst = uint64(v)
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fail(err)
	}
	if err := expectEOF(dec); err != nil {
		return fail(err)
	}
	if h.ServiceID == "" {
		return fail(errors.New("service_id is missing"))
	}
	return h, nil
}

// fnError carries the callback's own error out of streamItems untouched.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

func streamItems(dec *json.Decoder, fn func(UsageItem) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil { // "items": null
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("items is not an array")
	}
	var w wireUsageItem
	for dec.More() {
		w = wireUsageItem{}
		if err := dec.Decode(&w); err != nil {
			return err
		}
		if err := fn(w.item()); err != nil {
			return fnError{err}
		}
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}
