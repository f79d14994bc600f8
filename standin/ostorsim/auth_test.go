package ostorsim_test

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"staas/standin/ostorsim"
)

func TestSignatureV2AWSExample(t *testing.T) {
	// AWS S3 RESTAuthentication example (GET /photos/puppy.jpg on the virtual
	// host awsexamplebucket1).
	const (
		secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		date   = "Tue, 27 Mar 2007 19:36:42 +0000"
	)
	sts := ostorsim.StringToSignV2("GET", "", "", date, http.Header{}, "/awsexamplebucket1/photos/puppy.jpg")
	if want := "GET\n\n\n" + date + "\n/awsexamplebucket1/photos/puppy.jpg"; sts != want {
		t.Fatalf("string to sign %q, want %q", sts, want)
	}
	if got := ostorsim.SignatureV2(secret, sts); got != "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=" {
		t.Fatalf("signature %s", got)
	}

	// The same vector through the verifier, path style.
	r, _ := http.NewRequest("GET", "http://s3.example.com/awsexamplebucket1/photos/puppy.jpg", nil)
	r.Header.Set("Date", date)
	r.Header.Set("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=")
	now, _ := time.Parse(time.RFC1123Z, date)
	lookup := func(ak string) (string, bool) { return secret, ak == "AKIAIOSFODNN7EXAMPLE" }
	ak, err := ostorsim.VerifyV2(r, lookup, now)
	if err != nil || ak != "AKIAIOSFODNN7EXAMPLE" {
		t.Fatalf("VerifyV2 = %q, %v", ak, err)
	}
	if _, err := ostorsim.VerifyV2(r, lookup, now.Add(16*time.Minute)); !errors.Is(err, ostorsim.ErrTimeSkewed) {
		t.Errorf("16 minutes later: %v, want ErrTimeSkewed", err)
	}
	r.Header.Set("Content-Type", "text/plain") // now signed content differs
	if _, err := ostorsim.VerifyV2(r, lookup, now); !errors.Is(err, ostorsim.ErrBadSignature) {
		t.Errorf("changed Content-Type: %v, want ErrBadSignature", err)
	}
}

func TestVerifyV2OstorResource(t *testing.T) {
	// Only "/?ostor-users" is signed: other parameters may change without
	// breaking the signature (the vendor's scheme), the service may not.
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	lookup := func(ak string) (string, bool) { return "s3cr3t", ak == "AK" }
	r, _ := http.NewRequest("GET", "http://gw/?ostor-users&emailAddress=a%40b.c", nil)
	r.Header.Set("Date", now.Format(time.RFC1123Z))
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	testSignV2(r, "AK", "s3cr3t")
	if _, err := ostorsim.VerifyV2(r, lookup, now); err != nil {
		t.Fatal(err)
	}
	r.URL.RawQuery = "ostor-users&emailAddress=other%40b.c"
	if _, err := ostorsim.VerifyV2(r, lookup, now); err != nil {
		t.Fatalf("another parameter value: %v", err)
	}
	r.URL.RawQuery = "ostor-buckets&emailAddress=a%40b.c"
	if _, err := ostorsim.VerifyV2(r, lookup, now); !errors.Is(err, ostorsim.ErrBadSignature) {
		t.Fatalf("another service: %v, want ErrBadSignature", err)
	}
	r.URL.RawQuery = "ostor-users&emailAddress=a%40b.c"
	r.Header.Set("X-Amz-Content-Sha256", "abc") // an amz header is signed
	if _, err := ostorsim.VerifyV2(r, lookup, now); !errors.Is(err, ostorsim.ErrBadSignature) {
		t.Fatalf("changed x-amz header: %v, want ErrBadSignature", err)
	}
	r.Header.Set("Authorization", "AWS AK2:"+strings.Split(r.Header.Get("Authorization"), ":")[1])
	if _, err := ostorsim.VerifyV2(r, lookup, now); !errors.Is(err, ostorsim.ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
	r.Header.Del("Date")
	if _, err := ostorsim.VerifyV2(r, lookup, now); !errors.Is(err, ostorsim.ErrMissingDate) {
		t.Fatalf("no date: %v", err)
	}
}

// readSuiteRequest parses an AWS test-suite .sreq file by hand: its request
// lines may hold spaces and raw UTF-8, which http.ReadRequest refuses.
func readSuiteRequest(t *testing.T, path string) *http.Request {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(raw), "\n\n")
	sc := bufio.NewScanner(strings.NewReader(head))
	sc.Scan()
	line := sc.Text()
	method, rest, _ := strings.Cut(line, " ")
	target := rest[:strings.LastIndex(rest, " ")]
	path, rawQuery, _ := strings.Cut(target, "?")
	r := &http.Request{
		Method: method,
		URL:    &url.URL{Path: path, RawQuery: rawQuery},
		Header: http.Header{},
		Body:   io.NopCloser(strings.NewReader(body)),
	}
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), ":")
		value = strings.TrimSpace(value)
		if strings.EqualFold(name, "host") {
			r.Host = value
			continue
		}
		r.Header.Add(name, value)
	}
	return r
}

func TestVerifyV4Suite(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	now := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	lookup := func(ak string) (string, bool) { return secret, ak == "AKIDEXAMPLE" }
	files, _ := filepath.Glob("testdata/sigv4/*.sreq")
	if len(files) < 10 {
		t.Fatalf("found %d vectors", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sreq")
		t.Run(name, func(t *testing.T) {
			ak, err := ostorsim.VerifyV4(readSuiteRequest(t, f), lookup, now)
			if err != nil || ak != "AKIDEXAMPLE" {
				t.Fatalf("VerifyV4 = %q, %v", ak, err)
			}
			if _, err := ostorsim.VerifyV4(readSuiteRequest(t, f), lookup, now.Add(-16*time.Minute)); !errors.Is(err, ostorsim.ErrTimeSkewed) {
				t.Errorf("skewed: %v", err)
			}
			tampered := readSuiteRequest(t, f)
			tampered.URL.RawQuery += "&extra=1"
			if _, err := ostorsim.VerifyV4(tampered, lookup, now); !errors.Is(err, ostorsim.ErrBadSignature) {
				t.Errorf("extra parameter: %v, want ErrBadSignature", err)
			}
			wrong := func(string) (string, bool) { return secret + "x", true }
			if _, err := ostorsim.VerifyV4(readSuiteRequest(t, f), wrong, now); !errors.Is(err, ostorsim.ErrBadSignature) {
				t.Errorf("wrong secret: %v", err)
			}
		})
	}
	// The body is part of the signature when no X-Amz-Content-Sha256 is sent.
	r := readSuiteRequest(t, "testdata/sigv4/post-x-www-form-urlencoded.sreq")
	r.Body = io.NopCloser(strings.NewReader("Param1=value2"))
	if _, err := ostorsim.VerifyV4(r, lookup, now); !errors.Is(err, ostorsim.ErrBadSignature) {
		t.Errorf("changed body: %v", err)
	}
}

func TestParseV4Authorization(t *testing.T) {
	good := "AWS4-HMAC-SHA256 Credential=AK/20250101/eu-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("ab", 32)
	a, err := ostorsim.ParseV4Authorization(good)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessKey != "AK" || a.Region != "eu-1" || a.Service != "s3" || a.Date != "20250101" || len(a.SignedHeaders) != 2 {
		t.Fatalf("%+v", a)
	}
	for _, bad := range []string{
		"",
		"AWS4-HMAC-SHA256 ",
		strings.Replace(good, "aws4_request", "aws5_request", 1),
		strings.Replace(good, "20250101", "2025011", 1),
		strings.Replace(good, "host;x-amz-date", "x-amz-date;host", 1),
		strings.Replace(good, "host;x-amz-date", "x-amz-date", 1),
		strings.Replace(good, "Signature=ab", "Signature=AB", 1),
		good + ", Signature=" + strings.Repeat("ab", 32),
		strings.Replace(good, "Credential=AK/", "Credential=/", 1),
	} {
		if _, err := ostorsim.ParseV4Authorization(bad); !errors.Is(err, ostorsim.ErrMalformedAuth) {
			t.Errorf("%q: %v, want ErrMalformedAuth", bad, err)
		}
	}
}

var fuzzNow = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func fuzzLookup(ak string) (string, bool) { return "fuzz-secret", ak == "FUZZKEY" }

func FuzzVerifyV2(f *testing.F) {
	f.Add("GET", "ostor-users&emailAddress=a%40b", fuzzNow.Format(time.RFC1123Z), "", "AWS FUZZKEY:abc=")
	f.Add("PUT", "ostor-users", fuzzNow.Format(time.RFC1123Z), "UNSIGNED-PAYLOAD", "")
	f.Add("POST", "&&%zz", "garbage", "x", "AWS :")
	f.Fuzz(func(t *testing.T, method, rawQuery, date, amz, authz string) {
		if !validMethod(method) {
			return
		}
		r := &http.Request{Method: method, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{}, Host: "gw"}
		r.Header.Set("Date", date)
		if amz != "" {
			r.Header.Set("X-Amz-Content-Sha256", amz)
		}
		if authz == "" {
			testSignV2(r, "FUZZKEY", "fuzz-secret") // a correctly signed case
		} else {
			r.Header.Set("Authorization", authz)
		}
		_, err := ostorsim.VerifyV2(r, fuzzLookup, fuzzNow)
		if err != nil {
			return
		}
		// Accepted: it must be exactly what an independent signer produces.
		want := r.Clone(r.Context())
		testSignV2(want, "FUZZKEY", "fuzz-secret")
		if got := r.Header.Get("Authorization"); got != want.Header.Get("Authorization") {
			t.Fatalf("accepted %q, the signature is %q", got, want.Header.Get("Authorization"))
		}
	})
}

func FuzzVerifyV4(f *testing.F) {
	f.Add("GET", "ostor-users&emailAddress=a%40b", "", false)
	f.Add("POST", "Param1=value1&Param2", "AWS4-HMAC-SHA256 Credential=FUZZKEY/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00", false)
	f.Add("DELETE", "%41=%42&a+b=c", "", true)
	f.Fuzz(func(t *testing.T, method, rawQuery, authz string, tamper bool) {
		if !validMethod(method) {
			return
		}
		r := &http.Request{Method: method, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{}, Host: "gw"}
		signedBySpec := authz == ""
		if signedBySpec {
			testSignV4(r, "FUZZKEY", "fuzz-secret", "us-east-1", "s3", fuzzNow)
			if tamper {
				r.Header.Set("X-Amz-Date", fuzzNow.Add(time.Second).Format("20060102T150405Z"))
			}
		} else {
			r.Header.Set("X-Amz-Date", fuzzNow.Format("20060102T150405Z"))
			r.Header.Set("Authorization", authz)
		}
		_, err := ostorsim.VerifyV4(r, fuzzLookup, fuzzNow)
		if err == nil && (!signedBySpec || tamper) {
			t.Fatalf("accepted a request not signed by the key: %q", r.Header.Get("Authorization"))
		}
		// A query that url.ParseQuery and the verifier read alike must verify
		// when signed correctly.
		if signedBySpec && !tamper && err != nil && queryReadsAlike(rawQuery) {
			t.Fatalf("refused a correctly signed request (query %q): %v", rawQuery, err)
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "PUT", "POST", "DELETE", "HEAD":
		return true
	}
	return false
}

// queryReadsAlike reports whether url.ParseQuery (the test signer's
// reading) accepts the query without dropping anything: ';' and bad
// escapes are where parsers legitimately differ.
func queryReadsAlike(raw string) bool {
	if strings.Contains(raw, ";") {
		return false
	}
	_, err := url.ParseQuery(raw)
	return err == nil
}
