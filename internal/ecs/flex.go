package ecs

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// flexNumber is a number ECS sends as a JSON number or a quoted string
// ("107.0"); "" and null are 0.
type flexNumber float64

func parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("ecs: %q is not a number", s)
	}
	return f, nil
}

func unquote(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1])
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) == nil {
			return s
		}
	}
	return string(b)
}

func (n *flexNumber) UnmarshalJSON(b []byte) error {
	f, err := parseNumber(unquote(b))
	*n = flexNumber(f)
	return err
}

func (n *flexNumber) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := d.DecodeElement(&s, &start); err != nil {
		return err
	}
	f, err := parseNumber(s)
	*n = flexNumber(f)
	return err
}

// flexInt is an integer sent as a JSON number or a quoted string; a
// fractional value ("12.0") is truncated.
type flexInt int64

func parseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 1<<63 {
		return 0, fmt.Errorf("ecs: %q is not an integer", s)
	}
	return int64(f), nil
}

func (n *flexInt) UnmarshalJSON(b []byte) error {
	v, err := parseInt(unquote(b))
	*n = flexInt(v)
	return err
}

func (n *flexInt) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := d.DecodeElement(&s, &start); err != nil {
		return err
	}
	v, err := parseInt(s)
	*n = flexInt(v)
	return err
}

// flexBool is true/false sent bare or quoted ("true").
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.ToLower(strings.TrimSpace(unquote(b)))
	*v = s == "true" || s == "1"
	return nil
}

func (v *flexBool) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := d.DecodeElement(&s, &start); err != nil {
		return err
	}
	s = strings.ToLower(strings.TrimSpace(s))
	*v = s == "true" || s == "1"
	return nil
}
