package s3data

import (
	"context"
	"errors"
	"fmt"
	"net"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"staas"
)

// errBucketGone says the bucket no longer exists: for a purge, the goal.
var errBucketGone = errors.New("s3: no such bucket")

// failure is what went wrong in one S3 call: the HTTP status (0 when no
// answer came) and the S3 error code ("" when there was none).
type failure struct {
	status int
	code   string
}

func inspect(err error) failure {
	var f failure
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		f.status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		f.code = ae.ErrorCode()
	}
	return f
}

// translate turns an SDK error of the call doing (e.g. "listing object
// versions") into a staas error whose message an admin may read: it names
// the bucket and the S3 error code, never a key or a secret. NoSuchBucket
// becomes errBucketGone.
func translate(ctx context.Context, bucket, doing string, err error) error {
	f := inspect(err)
	if f.code == "NoSuchBucket" {
		return errBucketGone
	}
	why := f.code
	if why == "" && f.status != 0 {
		why = fmt.Sprintf("HTTP %d", f.status)
	}
	msg := func(format string, args ...any) string {
		return fmt.Sprintf("s3: purge bucket %q: ", bucket) + fmt.Sprintf(format, args...)
	}
	e := &staas.Error{Err: err}
	switch {
	case ctx.Err() != nil:
		e.Code, e.Message = staas.EUNAVAILABLE, msg("stopped while %s: %v", doing, ctx.Err())
	case f.status == 401 || f.status == 403 || isAuthCode(f.code):
		e.Code, e.Message = staas.EFORBIDDEN, msg("the owner's key was refused while %s (%s)", doing, why)
	case f.code == "BucketNotEmpty":
		e.Code, e.Message = staas.ECONFLICT, msg("the bucket is not empty after the purge: objects were added meanwhile; try again")
	case f.status >= 500 || f.status == 429:
		e.Code, e.Message = staas.EUNAVAILABLE, msg("the gateway failed while %s (%s)", doing, why)
	case f.status == 0 && isNetwork(err):
		e.Code, e.Message = staas.EUNAVAILABLE, msg("the gateway did not answer while %s", doing)
	case f.status != 0:
		e.Code, e.Message = staas.EINTERNAL, msg("unexpected answer while %s (%s)", doing, why)
	default:
		e.Code, e.Message = staas.EINTERNAL, msg("failed while %s", doing)
	}
	return e
}

func isAuthCode(code string) bool {
	switch code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "RequestTimeTooSkewed":
		return true
	}
	return false
}

// isNetwork recognises failures to get an answer: the SDK's send error
// (refused, reset or dropped connections), time-outs and cancellation.
func isNetwork(err error) bool {
	var conn interface{ ConnectionError() bool }
	var netErr net.Error
	var canceled *smithy.CanceledError
	return errors.As(err, &conn) && conn.ConnectionError() ||
		errors.As(err, &netErr) ||
		errors.As(err, &canceled) ||
		errors.Is(err, context.DeadlineExceeded)
}
