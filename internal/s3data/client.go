// Package s3data speaks the S3 data plane of the storage gateway: the
// bucket and object calls staas makes as a customer's own S3 user, which
// the ostor admin API cannot make. Today that is one job: purging a
// terminated customer's buckets, since ostor deletes no user who still owns
// buckets and deletes no bucket that is not empty.
//
// It is built on aws-sdk-go-v2's S3 client (paging, XML, SigV4, checksums
// and retries come from there) with path-style addressing against the
// gateway's own endpoint. docs/ostor-api.md ("The S3 data plane") lists
// the calls and what is assumed of ostor.
package s3data

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"staas"
	"staas/internal/ostor"
)

// Defaults for Config fields left zero.
const (
	DefaultRegion  = "us-east-1"
	DefaultTimeout = 60 * time.Second
)

// maxAttempts is how often the SDK tries one request (the first try and
// four retries) after a 5xx, a throttle, a dropped connection or a
// time-out. Every call a purge makes is idempotent: deleting what is gone
// succeeds, and a bucket or upload already gone counts as done.
const maxAttempts = 5

// defaultMaxBackoff caps the SDK's jittered exponential pause between
// attempts.
const defaultMaxBackoff = 5 * time.Second

// Config configures a Client.
type Config struct {
	// Endpoint is the S3 gateway's base URL, e.g. "https://s3.example.com":
	// the same gateway the admin API is served on. Buckets are addressed
	// path-style under it.
	Endpoint string
	// Region signs SigV4 requests; default "us-east-1".
	Region string
	// HTTPClient replaces the tuned default (tests, proxies). It is copied,
	// not changed: the copy gets Timeout and refuses redirects.
	HTTPClient *http.Client
	// Timeout bounds each attempt of each S3 request, reading the answer
	// included; default 60s. The caller's context bounds the whole purge.
	Timeout time.Duration
}

// Client makes S3 data-plane calls with the key pair of the user each call
// names. It holds no credentials of its own and is safe for concurrent use.
type Client struct {
	endpoint   string
	region     string
	http       *http.Client
	maxBackoff time.Duration
}

// New checks c and returns a Client.
func New(c Config) (*Client, error) {
	bad := func(format string, args ...any) error {
		return staas.Errorf(staas.EINVALID, "s3: config: "+format, args...)
	}
	if c.Endpoint == "" {
		return nil, bad("Endpoint is required")
	}
	u, err := url.Parse(c.Endpoint)
	switch {
	case err != nil:
		return nil, bad("Endpoint is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, bad("Endpoint must start with http:// or https://")
	case u.Host == "":
		return nil, bad("Endpoint has no host")
	case u.User != nil:
		return nil, bad("Endpoint must not carry credentials")
	case u.Path != "" && u.Path != "/":
		// Path-style bucket paths are signed from the root; a prefix
		// would change what the gateway verifies.
		return nil, bad("Endpoint must not have a path")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, bad("Endpoint must not have a query or fragment")
	}
	if c.Timeout < 0 {
		return nil, bad("Timeout must not be negative")
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	var hc http.Client
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	} else {
		hc.Transport = defaultTransport()
	}
	hc.Timeout = c.Timeout
	// A signed request is never resent elsewhere: a redirect is the
	// answer, and as an unexpected status it becomes an error.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{
		endpoint:   u.Scheme + "://" + u.Host,
		region:     c.Region,
		http:       &hc,
		maxBackoff: defaultMaxBackoff,
	}, nil
}

func defaultTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}
}

// api returns an SDK client that signs with owner's key pair. The secret
// stays inside the SDK's credentials; the SDK logs nothing by default.
func (c *Client) api(owner ostor.KeyPair) *s3.Client {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: owner.AccessKeyID, SecretAccessKey: owner.SecretAccessKey, Source: "staas"}, nil
	})
	return s3.New(s3.Options{
		Region:       c.region,
		BaseEndpoint: aws.String(c.endpoint),
		UsePathStyle: true,
		Credentials:  creds,
		HTTPClient:   c.http,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = c.maxBackoff
		}),
		// Checksums only where S3 requires them (DeleteObjects): a gateway
		// that predates flexible checksums must not see them elsewhere.
		RequestChecksumCalculation:  aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation:  aws.ResponseChecksumValidationWhenRequired,
		DisableS3ExpressSessionAuth: aws.Bool(true),
	})
}
