package whmcsbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// flexInt is an integer that PHP may send as a JSON number or as a string:
// WHMCS's API answers "noteid": "1" and "startnumber": 0 side by side.
// null and "" decode to 0. Anything else (a fraction, letters, an
// overflow) is an error rather than a silent 0. It is for WHMCS's
// answers only: the shim's payloads are strict, their ids are shimID.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*n = 0
			return nil
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %.40q", b)
	}
	*n = flexInt(v)
	return nil
}

// flexString is a string that PHP may send as a number or null, as WHMCS
// does for some text fields.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*s = flexString(b)
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*s = flexString(b)
	default:
		return fmt.Errorf("not a string: %.40q", b)
	}
	return nil
}

// isEmptyPHPArray reports whether raw is how PHP's json_encode writes an
// empty array, an empty string or null: PHP encodes an empty associative
// array as [], and WHMCS answers "products": "" when there are none.
func isEmptyPHPArray(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) || bytes.Equal(t, []byte(`""`)) {
		return true
	}
	if len(t) >= 2 && t[0] == '[' {
		return len(bytes.TrimSpace(t[1:len(t)-1])) == 0
	}
	return false
}
