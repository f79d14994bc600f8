package whmcsbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// FlexString is a string that PHP may send as a number or null, as WHMCS
// does for some text fields and the shim for product settings. It is
// exported for internal/whmcs, which reads WHMCS API answers that PHP
// encodes the same way.
type FlexString string

func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*s = FlexString(b)
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*s = FlexString(b)
	default:
		return fmt.Errorf("not a string: %.40q", b)
	}
	return nil
}

// IsEmptyPHPArray (used by internal/whmcs too) reports whether raw is how PHP's json_encode writes an
// empty array, an empty string or null: PHP encodes an empty associative
// array as [], and WHMCS answers "products": "" when there are none.
func IsEmptyPHPArray(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) || bytes.Equal(t, []byte(`""`)) {
		return true
	}
	if len(t) >= 2 && t[0] == '[' {
		return len(bytes.TrimSpace(t[1:len(t)-1])) == 0
	}
	return false
}
