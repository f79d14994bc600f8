package whmcsbridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The shim protocol's payloads are decoded strictly (docs/shim-protocol.md,
// "Payloads"). encoding/json alone lets through what the protocol
// refuses: a second JSON value after the object, a key given twice (the
// last one silently wins, also when the two differ only in case, as field
// names match case-insensitively), and null, which leaves a field at its
// zero value as if it had been sent. CheckShimJSON refuses all three
// before a payload is decoded; shimID refuses ids that are not plain
// decimal integers ("+1", " 1", "01", "1e3", "").

// DecodeShim decodes the shim payload b into v (a pointer to one of the
// request types): CheckShimJSON first, then v's own strict decoding
// (unknown fields refused). Errors say what is wrong, for an EINVALID.
func DecodeShim(b []byte, v any) error {
	if err := CheckShimJSON(b); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// maxShimDepth bounds how deeply a payload nests; the deepest real one
// (a module request's config) is 2.
const maxShimDepth = 8

// CheckShimJSON reports what makes b no shim payload, before it is
// decoded: it must be one JSON object, and nothing but white space may
// follow it; no object may name a key twice (in any case); no value may
// be null; nothing may nest deeper than maxShimDepth. What is not JSON at
// all wraps encoding/json's error (a *json.SyntaxError, io.EOF or
// io.ErrUnexpectedEOF), so a caller can tell it from a protocol refusal.
func CheckShimJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("the payload must be a JSON object")
	}
	if err := checkObject(dec, 1); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

func checkValue(dec *json.Decoder, tok json.Token, depth int) error {
	switch t := tok.(type) {
	case nil:
		return errors.New("null is no value in the shim protocol: leave the field out")
	case json.Delim:
		if depth >= maxShimDepth {
			return fmt.Errorf("nested deeper than %d levels", maxShimDepth)
		}
		if t == '{' {
			return checkObject(dec, depth+1)
		}
		return checkArray(dec, depth+1)
	}
	return nil
}

func checkObject(dec *json.Decoder, depth int) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		key, _ := tok.(string)
		if seen[strings.ToLower(key)] {
			return fmt.Errorf("the key %.70q appears twice", key)
		}
		seen[strings.ToLower(key)] = true
		if tok, err = dec.Token(); err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		if err := checkValue(dec, tok, depth); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

func checkArray(dec *json.Decoder, depth int) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		if err := checkValue(dec, tok, depth); err != nil {
			return err
		}
	}
	_, err := dec.Token() // ']'
	return err
}

// shimID is an id of a shim payload: a JSON integer, or a string of
// decimal digits (PHP often has ids as strings), without sign, spaces,
// leading zeros, fraction or exponent.
type shimID int64

func (n *shimID) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if !plainDigits(s) {
			return fmt.Errorf("an id must be decimal digits, not %.40q", s)
		}
	} else if !plainDigits(strings.TrimPrefix(s, "-")) {
		return fmt.Errorf("an id must be a whole number, not %.40s", s)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("the id %.40s is out of range", s)
	}
	*n = shimID(v)
	return nil
}

// plainDigits: "0", or digits not starting with 0.
func plainDigits(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
