package whmcsbridge

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"staas"
)

// What encoding/json lets through but the protocol refuses: data after
// the object, a key twice, null, and ids that are not plain decimals.
func TestStrictDecodingRefuses(t *testing.T) {
	const admin = `{"admin":{"id":1,"permissions":["View Clients Summary"]},"client_id":42,"action_url":"x","token":"t"}`
	const action = `{"admin":{"id":1,"permissions":[]},"client_id":42,"params":{"bucket":"b"}}`
	const event = `{"client_id":42,"admin_id":0,"email":"a@example.com"}`
	const usage = `{"server_id":1,"service_ids":[1,2]}`
	cases := []struct {
		name, body string
		v          any
		want       string
	}{
		{"trailing object", admin + `{}`, new(AdminRequest), "after the JSON object"},
		{"trailing garbage", action + ` x`, new(ActionRequest), ""},
		{"duplicate key", `{"client_id":1,` + admin[1:], new(AdminRequest), "twice"},
		{"duplicate key, other case", `{"CLIENT_ID":7,` + admin[1:], new(AdminRequest), "twice"},
		{"duplicate nested key", strings.Replace(action, `"bucket":"b"`, `"bucket":"b","bucket":"c"`, 1), new(ActionRequest), "twice"},
		{"duplicate permission key", strings.Replace(admin, `["View Clients Summary"]`, `{"0":"a","0":"b"}`, 1), new(AdminRequest), "twice"},
		{"plus id", strings.Replace(admin, `"client_id":42`, `"client_id":"+42"`, 1), new(AdminRequest), "decimal digits"},
		{"space id", strings.Replace(admin, `"client_id":42`, `"client_id":" 42"`, 1), new(AdminRequest), "decimal digits"},
		{"leading zero id", strings.Replace(admin, `"client_id":42`, `"client_id":"042"`, 1), new(AdminRequest), "decimal digits"},
		{"empty id", strings.Replace(admin, `"client_id":42`, `"client_id":""`, 1), new(AdminRequest), "decimal digits"},
		{"exponent id", strings.Replace(admin, `"client_id":42`, `"client_id":4.2e1`, 1), new(AdminRequest), "whole number"},
		{"null id", strings.Replace(admin, `"client_id":42`, `"client_id":null`, 1), new(AdminRequest), "null"},
		{"null token", strings.Replace(admin, `"token":"t"`, `"token":null`, 1), new(AdminRequest), "null"},
		{"null permission", strings.Replace(admin, `["View Clients Summary"]`, `["View Clients Summary",null]`, 1), new(AdminRequest), "null"},
		{"null params", strings.Replace(action, `{"bucket":"b"}`, `null`, 1), new(ActionRequest), "null"},
		{"null param", strings.Replace(action, `"b"}`, `null}`, 1), new(ActionRequest), "null"},
		{"null email", strings.Replace(event, `"a@example.com"`, `null`, 1), new(EventRequest), "null"},
		{"null body", `null`, new(EventRequest), "JSON object"},
		{"array body", `[]`, new(EventRequest), "JSON object"},
		{"plus service id", strings.Replace(usage, `[1,2]`, `["+1",2]`, 1), new(UsageRequest), "list of ids"},
		{"null service ids", strings.Replace(usage, `[1,2]`, `null`, 1), new(UsageRequest), "null"},
		{"empty-string service ids", strings.Replace(usage, `[1,2]`, `""`, 1), new(UsageRequest), ""},
		{"deep nesting", strings.Replace(action, `{"bucket":"b"}`, `{"a":`+strings.Repeat(`[`, 20)+strings.Repeat(`]`, 20)+`}`, 1), new(ActionRequest), "nested deeper"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := DecodeShim([]byte(c.body), c.v)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("DecodeShim(%s) = %v, want an error containing %q", c.body, err, c.want)
			}
		})
	}
	// The same payloads, well-formed, decode.
	for _, ok := range []struct {
		body string
		v    any
	}{{admin, new(AdminRequest)}, {action + "\n", new(ActionRequest)}, {event, new(EventRequest)}, {usage, new(UsageRequest)},
		{strings.Replace(admin, `"client_id":42`, `"client_id":"42"`, 1), new(AdminRequest)}} {
		if err := DecodeShim([]byte(ok.body), ok.v); err != nil {
			t.Errorf("DecodeShim(%s) = %v", ok.body, err)
		}
	}
}

// FuzzShimPayloads: whatever a body holds, decoding it into any payload
// type either fails or gives a value that encodes and decodes again to
// itself, and no payload that CheckShimJSON refuses is ever decoded.
func FuzzShimPayloads(f *testing.F) {
	for _, name := range []string{"admin_request.json", "admin_request.php.json", "action_request.json", "action_request.php.json",
		"action_request_no_params.php.json", "module_request.json", "module_request.php.json", "usage_request.php.json",
		"event_request_client_edit.php.json", "event_request_daily_cron.php.json"} {
		b, err := os.ReadFile("testdata/shim/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"client_id":1,"client_id":2}`))
	f.Add([]byte(`{"admin":{"id":"+1"}}{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		refused := CheckShimJSON(b) != nil
		for _, v := range []any{new(AdminRequest), new(ActionRequest), new(ModuleRequest), new(UsageRequest), new(EventRequest)} {
			err := DecodeShim(b, v)
			if refused && err == nil {
				t.Fatalf("%T decoded a body CheckShimJSON refuses: %q", v, b)
			}
			if err != nil {
				continue
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%T: encode: %v", v, err)
			}
			again := newOf(v)
			if err := DecodeShim(out, again); err != nil {
				t.Fatalf("%T: %s decoded, but its encoding %s does not: %v", v, b, out, err)
			}
			if out2, _ := json.Marshal(again); string(out2) != string(out) {
				t.Fatalf("%T: round trip %s → %s", v, out, out2)
			}
		}
	})
}

func newOf(v any) any {
	switch v.(type) {
	case *AdminRequest:
		return new(AdminRequest)
	case *ActionRequest:
		return new(ActionRequest)
	case *ModuleRequest:
		return new(ModuleRequest)
	case *UsageRequest:
		return new(UsageRequest)
	default:
		return new(EventRequest)
	}
}

// FuzzVerify: only a request signed with the secret passes, whatever its
// headers hold; CheckHeaders never passes what Verify's header checks
// refuse, and neither panics.
func FuzzVerify(f *testing.F) {
	secret := []byte("fuzz-shim-secret-0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	good := Sign(secret, http.MethodPost, PathLinks, now.Unix(), "0123456789abcdef0123", []byte(`{}`))
	f.Add(strconv.FormatInt(now.Unix(), 10), "0123456789abcdef0123", good, []byte(`{}`))
	f.Add("1800000000 ", "short", strings.ToUpper(good), []byte(``))
	f.Add("+1800000000", "0123456789abcdef0123", good[:63], []byte(`{}`))
	f.Fuzz(func(t *testing.T, ts, nonce, sig string, body []byte) {
		v := &Verifier{Secret: secret, Now: func() time.Time { return now }, Nonces: &NonceCache{Now: func() time.Time { return now }}}
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderNonce, nonce)
		h.Set(HeaderSignature, sig)
		headerErr := v.CheckHeaders(h)
		err := v.Verify(context.Background(), http.MethodPost, PathLinks, h, body)
		if headerErr != nil && err == nil {
			t.Fatalf("Verify passed headers CheckHeaders refused: %v", headerErr)
		}
		if err == nil {
			n, _ := strconv.ParseInt(ts, 10, 64)
			if sig != Sign(secret, http.MethodPost, PathLinks, n, nonce, body) {
				t.Fatalf("Verify passed a wrong signature %q", sig)
			}
		} else if staas.ErrorCode(err) != staas.EUNAUTHORIZED {
			t.Fatalf("refusal with code %s: %v", staas.ErrorCode(err), err)
		}
	})
}
