package s3data

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"staas"
	"staas/internal/ostor"
)

// Every check here runs before a request is built: an EINVALID error from
// the client means nothing was sent.

// validBucket applies the S3 bucket naming rules that ostor follows, the
// same as the admin API client's, so that any bucket staas can name there
// it can purge here. The name goes into the request path, so this is also
// what keeps a name from reaching another path ("..", "/", "?").
func validBucket(name string) error {
	bad := func(why string) error {
		return &staas.Error{Code: staas.EINVALID,
			Message: fmt.Sprintf("%q is not a bucket name staas can empty: the name %s. Nothing was deleted.", truncate(name), why),
			Err:     fmt.Errorf("s3: purge bucket %q: the name %s", truncate(name), why)}
	}
	if why := ostor.BucketNameProblem(name); why != "" {
		return bad(why)
	}
	if strings.HasSuffix(name, "--x-s3") {
		// The SDK takes such a name for an S3 Express directory bucket
		// and signs for another service, which the gateway refuses.
		return bad("must not end in \"--x-s3\" (reserved by S3 for directory buckets)")
	}
	return nil
}

// validOwner checks the key pair's shape; a wrong pair is the gateway's to
// refuse. The secret is never quoted.
func validOwner(bucket string, k ostor.KeyPair) error {
	if k.AccessKeyID == "" || k.SecretAccessKey == "" {
		return &staas.Error{Code: staas.EINVALID,
			Message: fmt.Sprintf("Bucket %q was not emptied: its owner has no complete key pair to act with. Nothing was deleted.", truncate(bucket)),
			Err:     fmt.Errorf("s3: purge bucket %q: the owner's key pair is incomplete", bucket)}
	}
	for i := 0; i < len(k.AccessKeyID); i++ {
		if c := k.AccessKeyID[i]; c <= ' ' || c >= 0x7f || c == '/' {
			return &staas.Error{Code: staas.EINVALID,
				Message: fmt.Sprintf("Bucket %q was not emptied: its owner's access key id is malformed. Nothing was deleted.", truncate(bucket)),
				Err:     fmt.Errorf("s3: purge bucket %q: the owner's access key id is malformed", bucket)}
		}
	}
	return nil
}

// truncate keeps an echoed input (a bad bucket name, an object key) short
// in messages, cut at a character boundary so the message stays UTF-8.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
