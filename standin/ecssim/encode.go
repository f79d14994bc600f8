package ecssim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// obj is an ordered document: JSON writes it as an object, XML as child
// elements in this order.
type obj []kv

type kv struct {
	k string
	v any // string, int64, float64, bool, obj, list, tagList, nil
}

// plainInt is a number JSON always writes bare, whatever StringNumbers
// says: error codes are numbers in every ECS answer seen.
type plainInt int64

// list repeats its key: JSON "k":[…], XML <k>…</k><k>…</k>.
type list []any

// wrapped is a container whose items carry their own element name:
// JSON "k":[…], XML <k><item>…</item>…</k>.
type wrapped struct {
	item  string
	items []any
}

// result is a successful answer: an XML root and the document.
type result struct {
	status int
	root   string
	doc    obj
}

func okDoc(root string, doc obj) *result { return &result{status: 200, root: root, doc: doc} }

// apiError is an ECS error answer.
type apiError struct {
	status    int
	code      int
	desc      string
	details   string
	retryable bool
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %d %s: %s", e.status, e.code, e.desc, e.details)
}

func missingParam(details string) *apiError {
	return &apiError{status: 400, code: 1004, desc: "Request parameter cannot be found", details: details}
}
func badBody(details string) *apiError {
	return &apiError{status: 400, code: 1013, desc: "Bad request body", details: details}
}
func exists(details string) *apiError {
	return &apiError{status: 409, code: 1015, desc: "Resource already exists", details: details}
}
func notFound(details string) *apiError {
	return &apiError{status: 404, code: 1019, desc: "Resource not found", details: details}
}

func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		if mt == "application/json" {
			return true
		}
	}
	return false
}

func writeError(w http.ResponseWriter, r *http.Request, strNum bool, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{status: 500, code: 7000, desc: "An error occurred in the API Service", details: err.Error()}
	}
	writeResult(w, r, strNum, &result{status: e.status, root: "error", doc: obj{
		{"code", plainInt(e.code)}, {"description", e.desc}, {"details", e.details}, {"retryable", e.retryable},
	}})
}

func writeResult(w http.ResponseWriter, r *http.Request, strNum bool, res *result) {
	if res.root == "" {
		w.WriteHeader(res.status)
		return
	}
	var buf bytes.Buffer
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json")
		encodeJSON(&buf, res.doc, strNum)
	} else {
		w.Header().Set("Content-Type", "application/xml")
		buf.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`)
		encodeXMLElem(&buf, res.root, res.doc)
	}
	w.WriteHeader(res.status)
	w.Write(buf.Bytes())
}

func encodeJSON(b *bytes.Buffer, v any, strNum bool) {
	switch v := v.(type) {
	case obj:
		b.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(f.k)
			b.Write(k)
			b.WriteByte(':')
			encodeJSON(b, f.v, strNum)
		}
		b.WriteByte('}')
	case list:
		encodeJSONArray(b, v, strNum)
	case wrapped:
		encodeJSONArray(b, v.items, strNum)
	case plainInt:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case int64:
		s := strconv.FormatInt(v, 10)
		if strNum {
			s = strconv.Quote(s)
		}
		b.WriteString(s)
	case float64:
		s := formatDouble(v)
		if strNum {
			s = strconv.Quote(s)
		}
		b.WriteString(s)
	case nil:
		b.WriteString("null")
	default:
		j, _ := json.Marshal(v)
		b.Write(j)
	}
}

func encodeJSONArray(b *bytes.Buffer, items []any, strNum bool) {
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		encodeJSON(b, it, strNum)
	}
	b.WriteByte(']')
}

// formatDouble writes a double the way Java does for ordinary values:
// always with a fractional part.
func formatDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

func encodeXMLElem(b *bytes.Buffer, name string, v any) {
	switch v := v.(type) {
	case list:
		for _, it := range v {
			encodeXMLElem(b, name, it)
		}
		return
	case nil:
		return
	}
	b.WriteString("<" + name)
	var inner bytes.Buffer
	switch v := v.(type) {
	case obj:
		for _, f := range v {
			encodeXMLElem(&inner, f.k, f.v)
		}
	case wrapped:
		for _, it := range v.items {
			encodeXMLElem(&inner, v.item, it)
		}
	case int64:
		inner.WriteString(strconv.FormatInt(v, 10))
	case plainInt:
		inner.WriteString(strconv.FormatInt(int64(v), 10))
	case float64:
		inner.WriteString(formatDouble(v))
	case bool:
		inner.WriteString(strconv.FormatBool(v))
	case string:
		_ = xml.EscapeText(&inner, []byte(v)) // a bytes.Buffer never fails a write
	}
	if inner.Len() == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	b.Write(inner.Bytes())
	b.WriteString("</" + name + ">")
}

// body is a parsed request body: JSON as decoded, XML children of the root
// as strings, repeated children as []any, nested as map[string]any.
type body map[string]any

func readBody(r *http.Request) (body, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, badBody("cannot read the body")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return body{}, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/xml" || mt == "text/xml" || (mt == "" && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("<"))) {
		m, err := parseXML(raw)
		if err != nil {
			return nil, badBody("XML: " + err.Error())
		}
		return m, nil
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, badBody("JSON: " + err.Error())
	}
	return m, nil
}

type xnode struct {
	name     string
	text     strings.Builder
	children []*xnode
}

func parseXML(raw []byte) (body, error) {
	d := xml.NewDecoder(bytes.NewReader(raw))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return xmlMap(root), nil
}

func xmlValue(n *xnode) any {
	if len(n.children) == 0 {
		return strings.TrimSpace(n.text.String())
	}
	return map[string]any(xmlMap(n))
}

func xmlMap(n *xnode) body {
	m := body{}
	for _, c := range n.children {
		v := xmlValue(c)
		if old, ok := m[c.name]; ok {
			if l, isList := old.([]any); isList {
				m[c.name] = append(l, v)
			} else {
				m[c.name] = []any{old, v}
			}
			continue
		}
		m[c.name] = v
	}
	return m
}

// str reads a scalar field as a string.
func (b body) str(k string) (string, bool) {
	v, ok := b[k]
	if !ok || v == nil {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

func (b body) need(k string) (string, error) {
	v, ok := b.str(k)
	if !ok || v == "" {
		return "", missingParam(k)
	}
	return v, nil
}

func (b body) int(k string) (int64, bool, error) {
	s, ok := b.str(k)
	if !ok || s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, badBody(fmt.Sprintf("%s: not an integer: %q", k, s))
	}
	return n, true, nil
}

func (b body) boolean(k string) (bool, bool, error) {
	s, ok := b.str(k)
	if !ok || s == "" {
		return false, false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, true, badBody(fmt.Sprintf("%s: not a boolean: %q", k, s))
	}
	return v, true, nil
}

// items reads a field that may be one element or a list of them.
func (b body) items(k string) []any {
	v, ok := b[k]
	if !ok || v == nil {
		return nil
	}
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}
