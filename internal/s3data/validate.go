package s3data

import (
	"net"
	"strings"

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
		return staas.Errorf(staas.EINVALID, "s3: purge bucket %q: the name %s", truncate(name), why)
	}
	if len(name) < 3 || len(name) > 63 {
		return bad("must be 3 to 63 characters long")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '.' || c == '-') {
			return bad("may contain only lowercase letters, digits, '.' and '-'")
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return bad("must start and end with a letter or digit")
	}
	if strings.Contains(name, "..") {
		return bad("must not contain \"..\"")
	}
	if net.ParseIP(name) != nil {
		return bad("must not be an IP address")
	}
	if strings.HasSuffix(name, "--x-s3") {
		// The SDK takes such a name for an S3 Express directory bucket
		// and signs for another service, which the gateway refuses.
		return bad("must not end in \"--x-s3\" (reserved by S3 for directory buckets)")
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// validOwner checks the key pair's shape; a wrong pair is the gateway's to
// refuse. The secret is never quoted.
func validOwner(bucket string, k ostor.KeyPair) error {
	if k.AccessKeyID == "" || k.SecretAccessKey == "" {
		return staas.Errorf(staas.EINVALID, "s3: purge bucket %q: the owner's key pair is incomplete", bucket)
	}
	for i := 0; i < len(k.AccessKeyID); i++ {
		if c := k.AccessKeyID[i]; c <= ' ' || c >= 0x7f || c == '/' {
			return staas.Errorf(staas.EINVALID, "s3: purge bucket %q: the owner's access key id is malformed", bucket)
		}
	}
	return nil
}

// truncate keeps an echoed bad input short in messages.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
