package whmcs

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
