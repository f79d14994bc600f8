package ostor

import "bytes"

// decodeBucketsFast decodes a bucket list in the shape the gateway sends
// it: {"Buckets":[{"name":…,"epoch":…,"creation_date":…,"owner_id":…,
// "size":{"current":…,"hmax":…,"h_integral":…,"last_ts":…}},…]}, plain
// ASCII strings without escapes and plain whole numbers, any whitespace.
// Anything else (another key, a number sent as a string, an escape, a
// null, broken JSON) answers ok=false, and DecodeBuckets decodes it the
// general way, so both always agree (TestDecodeBucketsFastAgrees).
//
// Why: encoding/json took about 3 ms for a user's 1,000 buckets, most of
// staas's own time rendering the admin's buckets panel (issue 14); this
// takes a tenth of that.
func decodeBucketsFast(body []byte) ([]Bucket, bool) {
	p := fastParser{b: body}
	if !p.byte('{') || !p.key("Buckets") || !p.byte('[') {
		return nil, false
	}
	out := []Bucket{}
	if p.peek() == ']' {
		p.i++
	} else {
		for {
			w, ok := p.bucket()
			if !ok {
				return nil, false
			}
			b, err := w.bucket()
			if err != nil {
				return nil, false
			}
			out = append(out, b)
			if p.byte(',') {
				continue
			}
			if !p.byte(']') {
				return nil, false
			}
			break
		}
	}
	if !p.byte('}') {
		return nil, false
	}
	if p.space(); p.i != len(p.b) {
		return nil, false
	}
	return out, true
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// peek is the next byte after whitespace, 0 at the end (a NUL is no
// JSON token, so it fails whatever is wanted all the same).
func (p *fastParser) peek() byte {
	p.space()
	if p.i >= len(p.b) {
		return 0
	}
	return p.b[p.i]
}

func (p *fastParser) byte(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// str reads a string of printable ASCII without escapes.
func (p *fastParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		}
		if c < 0x20 || c >= 0x80 || c == '\\' {
			return "", false
		}
		p.i++
	}
	return "", false
}

// key reads "name": exactly.
func (p *fastParser) key(name string) bool {
	k, ok := p.str()
	return ok && k == name && p.byte(':')
}

// uint reads a JSON whole number: digits, no sign, no leading zero.
func (p *fastParser) uint() (flexUint, bool) {
	p.space()
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	digits := p.b[start:p.i]
	if len(digits) == 0 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	if p.i < len(p.b) && bytes.IndexByte([]byte(".eE"), p.b[p.i]) >= 0 {
		return 0, false
	}
	v, ok := parseDigits(digits)
	return flexUint(v), ok
}

// object reads {"k":v,…}, each value by field; an unknown key fails.
func (p *fastParser) object(field func(k string) bool) bool {
	if !p.byte('{') {
		return false
	}
	if p.byte('}') {
		return true
	}
	for {
		k, ok := p.str()
		if !ok || !p.byte(':') || !field(k) {
			return false
		}
		if p.byte(',') {
			continue
		}
		return p.byte('}')
	}
}

func (p *fastParser) bucket() (wireBucket, bool) {
	var w wireBucket
	ok := p.object(func(k string) bool {
		var ok bool
		switch k {
		case "name":
			w.Name, ok = p.str()
		case "epoch":
			w.Epoch, ok = p.uint()
		case "creation_date":
			w.CreationDate, ok = p.str()
		case "owner_id":
			w.OwnerID, ok = p.str()
		case "size":
			ok = p.object(func(k string) bool {
				var ok bool
				switch k {
				case "current":
					w.Size.Current, ok = p.uint()
				case "hmax":
					w.Size.HMax, ok = p.uint()
				case "h_integral":
					w.Size.HIntegral, ok = p.uint()
				case "last_ts":
					w.Size.LastTS, ok = p.uint()
				}
				return ok
			})
		}
		return ok
	})
	return w, ok
}
