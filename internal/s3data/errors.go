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
// versions") into a staas error: its Message is a sentence an admin may
// read (what failed, what to do; it names the bucket, never a key, a
// secret, an HTTP status or an S3 error code), its Err the detail for the
// log ("s3: purge bucket …: … (AccessDenied): " and the SDK's error).
// NoSuchBucket becomes errBucketGone.
func translate(ctx context.Context, bucket, doing string, err error) error {
	f := inspect(err)
	if f.code == "NoSuchBucket" {
		return errBucketGone
	}
	why := f.code
	if why == "" && f.status != 0 {
		why = fmt.Sprintf("HTTP %d", f.status)
	}
	fail := func(code, sentence, format string, args ...any) error {
		detail := fmt.Sprintf(format, args...)
		if why != "" {
			detail += " (" + why + ")"
		}
		return &staas.Error{Code: code, Message: sentence,
			Err: fmt.Errorf("s3: purge bucket %q: %s: %w", bucket, detail, err)}
	}
	name := fmt.Sprintf("%q", truncate(bucket))
	switch {
	case ctx.Err() != nil:
		return fail(staas.EUNAVAILABLE, "Emptying bucket "+name+" stopped before it was done: the request was cancelled or ran out of time. What was deleted stays deleted; run it again to finish.",
			"stopped while %s: %v", doing, ctx.Err())
	case f.status == 401 || f.status == 403 || isAuthCode(f.code):
		return fail(staas.EFORBIDDEN, "The storage cluster refused the bucket owner's key pair, so bucket "+name+" was not emptied. Check that the S3 user is enabled and its first key pair works, then try again.",
			"the owner's key was refused while %s", doing)
	case f.code == "BucketNotEmpty":
		return fail(staas.ECONFLICT, "Bucket "+name+" was emptied, but objects were added meanwhile, so it was not deleted. Try again.",
			"the bucket is not empty after the purge while %s", doing)
	case f.status >= 500 || f.status == 429:
		return fail(staas.EUNAVAILABLE, "The storage cluster failed while emptying bucket "+name+". Try again in a moment; staas's log has the details.",
			"the gateway failed while %s", doing)
	case f.status == 0 && isNetwork(err):
		return fail(staas.EUNAVAILABLE, "The storage cluster's S3 endpoint did not answer while emptying bucket "+name+". Try again in a moment; staas's log has the details.",
			"the gateway did not answer while %s", doing)
	case f.status != 0:
		return fail(staas.EINTERNAL, unexpectedSentence(bucket), "unexpected answer while %s", doing)
	}
	return fail(staas.EINTERNAL, unexpectedSentence(bucket), "failed while %s", doing)
}

// unexpectedSentence is what an admin reads when the gateway broke the
// S3 contract; the log says how.
func unexpectedSentence(bucket string) string {
	return fmt.Sprintf("The storage cluster gave an unexpected answer while emptying bucket %q; staas's log has the details.", truncate(bucket))
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
