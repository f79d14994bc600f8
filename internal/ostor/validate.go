package ostor

import (
	"fmt"
	"math"
	"net"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"staas"
)

// Every check here runs before a request is built: an EINVALID error from
// the client means nothing was sent.

// invalid is a refused input: the admin reads what is wrong with it, as a
// sentence; the log (the cause) also names the gateway call it was for.
func invalid(op, format string, args ...any) error {
	why := fmt.Sprintf(format, args...)
	msg := why
	if r, n := utf8.DecodeRuneInString(msg); n > 0 {
		msg = string(unicode.ToUpper(r)) + msg[n:]
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return &staas.Error{Code: staas.EINVALID, Message: msg, Err: fmt.Errorf("ostor: %s: %s", op, why)}
}

func validEmail(op, email string) error {
	if why := EmailProblem(email); why != "" {
		return invalid(op, "%s", why)
	}
	return nil
}

// EmailProblem says why email is not an address a user may have; see
// staas.EmailProblem.
var EmailProblem = staas.EmailProblem

var (
	userIDPattern      = regexp.MustCompile(`^[0-9a-f]{16}$`)
	accessKeyIDPattern = regexp.MustCompile(`^[0-9a-f]{16}[A-Z0-9]{4}$`)
	// Account names are not specified by the vendor; this is the
	// conservative set the guide's examples fit in ("account1").
	accountNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// s3-usage-<service id, hex>-<YYYY-MM-DDThh:mm:ss.mmmZ>-<period seconds>
	usageNamePattern = regexp.MustCompile(`^s3-usage-[0-9a-fA-F]{1,32}-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z-[0-9]{1,19}$`)
)

func validUserID(op, id string) error {
	if !userIDPattern.MatchString(id) {
		return invalid(op, "user id %q is not 16 lowercase hex digits", truncate(id))
	}
	return nil
}

func validAccessKeyID(op, key string) error {
	if !accessKeyIDPattern.MatchString(key) {
		return invalid(op, "access key id %q is not a user id followed by 4 of [A-Z0-9]", truncate(key))
	}
	return nil
}

func validAccountName(op, name string) error {
	if !accountNamePattern.MatchString(name) {
		return invalid(op, "account name %q must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", truncate(name))
	}
	return nil
}

// validBucket applies the S3 bucket naming rules that ostor follows.
func validBucket(op, name string) error {
	if why := BucketNameProblem(name); why != "" {
		return invalid(op, "bucket name %q %s", truncate(name), why)
	}
	return nil
}

// BucketNameProblem says which S3 bucket naming rule (the ones ostor
// follows) name breaks, "" when none. Every client that puts a bucket name
// into a request path checks it first: it also keeps "..", "/" and "?"
// out of the path.
func BucketNameProblem(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return "must be 3 to 63 characters long"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return "may contain only lowercase letters, digits, '.' and '-'"
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return "must start and end with a letter or digit"
	}
	if strings.Contains(name, "..") {
		return "must not contain \"..\""
	}
	if net.ParseIP(name) != nil {
		return "must not be an IP address"
	}
	return ""
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// CheckUsageObjectName refuses a name that is no statistics object name,
// with the sentence the gateway calls would give, without a request: so a
// Delete can refuse it before asking to confirm.
func CheckUsageObjectName(name string) error {
	return validUsageName("check usage object", name)
}

func validUsageName(op, name string) error {
	if !usageNamePattern.MatchString(name) {
		return invalid(op, "%q is not a statistics object name (s3-usage-<hex>-<YYYY-MM-DDThh:mm:ss.mmmZ>-<seconds>)", truncate(name))
	}
	return nil
}

// OpsResources are the operation classes an ops limit can be set on.
var OpsResources = staas.OpsResources

func validOpsResource(op, resource string) error {
	for _, r := range OpsResources {
		if r == resource {
			return nil
		}
	}
	return invalid(op, "limit resource %q is not one of %s", truncate(resource), strings.Join(OpsResources, ", "))
}

// maxOpsLimit keeps the value a plain decimal the gateway can store; no
// real cluster serves a billion operations per second per user.
const maxOpsLimit = 1e9

func validOpsValue(op string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return invalid(op, "limit value must be a finite number")
	}
	if v < 0 {
		return invalid(op, "limit value must not be negative")
	}
	if v > maxOpsLimit {
		return invalid(op, "limit value must be at most %g operations per second", float64(maxOpsLimit))
	}
	return nil
}

// maxQuotaGB keeps the quota in bytes within a signed 64-bit integer: the
// API reference calls the stored size bytes.
const maxQuotaGB = math.MaxInt64 >> 30

func validQuotaGB(op string, gb uint64) error {
	if gb > maxQuotaGB {
		return invalid(op, "quota size must be at most %d GB", uint64(maxQuotaGB))
	}
	return nil
}

// MaxPageLimit is the largest page of statistics object names one call
// may ask for.
const MaxPageLimit = 1000

func validPageLimit(op string, limit int) error {
	if limit < 0 || limit > MaxPageLimit {
		return invalid(op, "page limit must be between 1 and %d (0 leaves it to the gateway)", MaxPageLimit)
	}
	return nil
}

// truncate keeps an echoed bad input short in messages.
func truncate(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:80] + "…"
}
