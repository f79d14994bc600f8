package provision

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"staas"
)

// LimitsInput is the guide's limits form as the admin filled it in. Either
// part may be left empty; at least one must be given.
type LimitsInput struct {
	OpsName        string // default, get, put, list, delete
	OpsValue       string // operations per second, decimals allowed; 0 = unlimited
	BandwidthName  string // out
	BandwidthValue string // KB/s, whole number; 0 = unlimited
}

// maxOps and maxBandwidth bound what a typo can set; both are far above
// any real cluster's capacity.
const (
	maxOps       = 1e9
	maxBandwidth = 1 << 40
)

// numProblem is what is wrong with a limit's or quota's number; each form
// (the admin panel's, the product's module settings) words it its own way.
type numProblem int

const (
	numOK numProblem = iota
	numSyntax
	numNegative
	numTooLarge
	numTooPrecise // more decimals than ostor keeps
)

// parseOps reads an ops limit the one way both forms (the admin panel's
// and the product's module settings) take it: a plain decimal (digits, at
// most one point; no sign, exponent, underscore or hex, which ParseFloat
// would take), at most 2 decimals as ostor keeps them, 0 to maxOps.
func parseOps(s string) (float64, numProblem) {
	if strings.HasPrefix(s, "-") && opsDecimal.MatchString(s[1:]) {
		return 0, numNegative
	}
	if !opsDecimal.MatchString(s) {
		return 0, numSyntax
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, numSyntax
	case v > maxOps:
		return 0, numTooLarge
	case decimals(s) > 2:
		return 0, numTooPrecise
	}
	return v, numOK
}

// parseWhole reads a whole number from 0 to max (bandwidth, quota).
func parseWhole(s string, max uint64) (uint64, numProblem) {
	v, err := strconv.ParseUint(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, numTooLarge
	case err != nil && strings.HasPrefix(s, "-"):
		return 0, numNegative
	case err != nil:
		return 0, numSyntax
	case v > max:
		return 0, numTooLarge
	}
	return v, numOK
}

type parsedLimits struct {
	opsName   string
	ops       float64
	hasOps    bool
	bandwidth uint64
	hasBw     bool
}

func (in LimitsInput) parse() (parsedLimits, error) {
	var p parsedLimits
	f := FieldErrors{}
	opsValue, bwValue := strings.TrimSpace(in.OpsValue), strings.TrimSpace(in.BandwidthValue)
	if opsValue != "" {
		name := in.OpsName
		if name == "" {
			name = "default"
		}
		if !slices.Contains(staas.OpsResources, name) {
			f["ops-name"] = "Pick one of default, get, put, list or delete."
		}
		v, problem := parseOps(opsValue)
		switch problem {
		case numSyntax:
			f["ops-value"] = "Enter a number of operations per second, e.g. 100 or 0.5."
		case numNegative:
			f["ops-value"] = "A limit cannot be negative; 0 means unlimited."
		case numTooLarge:
			f["ops-value"] = "At most " + staas.Grouped(maxOps) + " operations per second."
		case numTooPrecise:
			f["ops-value"] = "At most 2 decimals, as ostor keeps them, e.g. 0.25."
		}
		p.opsName, p.ops, p.hasOps = name, v, true
	}
	if bwValue != "" {
		if name := in.BandwidthName; name != "" && name != "out" {
			f["bandwidth-name"] = "ostor limits outgoing bandwidth only: pick out."
		}
		v, problem := parseWhole(bwValue, maxBandwidth)
		switch problem {
		case numSyntax, numNegative:
			f["bandwidth-value"] = "Enter a whole number of KB/s, e.g. 1024; 0 means unlimited."
		case numTooLarge:
			f["bandwidth-value"] = "That is more bandwidth than any link carries."
		}
		p.bandwidth, p.hasBw = v, true
	}
	if !p.hasOps && !p.hasBw {
		f["ops-value"] = "Enter an ops limit, a bandwidth limit, or both."
	}
	return p, fieldsError(f)
}

// Subject says whose limits or quota an action is on: the client's S3
// user, or one of its buckets. It is always said, never implied: the zero
// Subject names neither and is refused, so an empty bucket field can never
// reach the user's limits or quota.
type Subject struct {
	user   bool
	bucket string
}

// UserSubject is the client's S3 user.
func UserSubject() Subject { return Subject{user: true} }

// BucketSubject is the client's bucket name; "" is refused with a field
// error on the bucket field.
func BucketSubject(name string) Subject { return Subject{bucket: name} }

// IsUser says whether s is the client's S3 user.
func (s Subject) IsUser() bool { return s.user }

// Bucket is the bucket s names ("" for the user).
func (s Subject) Bucket() string { return s.bucket }

// String is how messages name s: "the S3 user" or "bucket NAME".
func (s Subject) String() string {
	if s.user {
		return "the S3 user"
	}
	return "bucket " + s.bucket
}

// chooseBucket is the bucket field's message when it names none of the
// client's buckets.
const chooseBucket = "Choose one of the client's buckets."

// limitSubject names the limits of the client's user or bucket, and the
// cluster (and its backend) they are on: the client-level mapping's.
func (s *core) limitSubject(ctx context.Context, a Actor, sub Subject) (staas.LimitSubject, string, Backend, error) {
	if !sub.user {
		if err := s.ownBucket(ctx, a, sub.bucket); err != nil {
			return staas.LimitSubject{}, "", nil, err
		}
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return staas.LimitSubject{}, "", nil, err
	}
	if !sub.user {
		return staas.BucketLimits(sub.bucket), m.Cluster, s.at(m.Cluster), nil
	}
	return staas.UserLimits(staas.ByID(m.UserID)), m.Cluster, s.at(m.Cluster), nil
}

// SetLimits sets the ops and/or bandwidth limit of the client's user or
// of one of its buckets, and returns the limits as the gateway now stores
// them.
func (s *AdminPanel) SetLimits(ctx context.Context, a Actor, sub Subject, in LimitsInput) (*staas.Limits, error) {
	if err := allow(a, change); err != nil {
		return nil, err
	}
	p, err := in.parse()
	if err != nil {
		return nil, err
	}
	subject, cluster, gw, err := s.limitSubject(ctx, a, sub)
	if err != nil {
		return nil, err
	}
	caps := gw.Capabilities()
	if p.hasOps {
		if err := requireCapability(cluster, caps.OpsLimits, "An ops limit"); err != nil {
			return nil, err
		}
	}
	if p.hasBw {
		if err := requireCapability(cluster, caps.BandwidthLimits, "A bandwidth limit"); err != nil {
			return nil, err
		}
	}
	if p.hasOps {
		if err := gw.SetOpsLimit(ctx, subject, p.opsName, p.ops); err != nil {
			return nil, err
		}
	}
	if p.hasBw {
		if err := gw.SetBandwidthLimit(ctx, subject, p.bandwidth); err != nil {
			return nil, err
		}
	}
	return gw.Limits(ctx, subject)
}

// Limits returns the limits of the client's user or bucket.
func (s *AdminPanel) Limits(ctx context.Context, a Actor, sub Subject) (*staas.Limits, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	subject, _, gw, err := s.limitSubject(ctx, a, sub)
	if err != nil {
		return nil, err
	}
	return gw.Limits(ctx, subject)
}

// DeleteLimits removes every limit of the client's user or bucket.
func (s *AdminPanel) DeleteLimits(ctx context.Context, a Actor, sub Subject) error {
	if err := allow(a, change); err != nil {
		return err
	}
	subject, _, gw, err := s.limitSubject(ctx, a, sub)
	if err != nil {
		return err
	}
	return gw.DeleteLimits(ctx, subject)
}

// quotaSubject names the quota of the client's user or bucket, and the
// backend of the cluster it is on: the client-level mapping's.
func (s *core) quotaSubject(ctx context.Context, a Actor, sub Subject) (staas.QuotaSubject, Backend, error) {
	if !sub.user {
		if err := s.ownBucket(ctx, a, sub.bucket); err != nil {
			return staas.QuotaSubject{}, nil, err
		}
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return staas.QuotaSubject{}, nil, err
	}
	if !sub.user {
		return staas.BucketQuota(sub.bucket), s.at(m.Cluster), nil
	}
	return staas.UserQuota(staas.ByID(m.UserID)), s.at(m.Cluster), nil
}

// maxQuotaGB is 1 EB: a bound against typos, not a policy.
const maxQuotaGB = 1 << 30

// SetQuota sets the storage quota in GB of the client's user or of one of
// its buckets.
func (s *AdminPanel) SetQuota(ctx context.Context, a Actor, sub Subject, sizeGB string) (*staas.Quota, error) {
	if err := allow(a, change); err != nil {
		return nil, err
	}
	gb, problem := parseWhole(strings.TrimSpace(sizeGB), maxQuotaGB)
	if problem != numOK || gb == 0 {
		return nil, fieldsError(FieldErrors{"quota-gb": "Enter a whole number of GB, at least 1 (Delete removes the quota)."})
	}
	subject, gw, err := s.quotaSubject(ctx, a, sub)
	if err != nil {
		return nil, err
	}
	if err := gw.SetQuota(ctx, subject, gb); err != nil {
		return nil, err
	}
	return gw.Quota(ctx, subject)
}

// Quota returns the quota of the client's user or bucket; nil when none is
// set.
func (s *AdminPanel) Quota(ctx context.Context, a Actor, sub Subject) (*staas.Quota, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	subject, gw, err := s.quotaSubject(ctx, a, sub)
	if err != nil {
		return nil, err
	}
	return quotaOrNil(ctx, gw, subject)
}

// DeleteQuota removes the quota of the client's user or bucket.
func (s *AdminPanel) DeleteQuota(ctx context.Context, a Actor, sub Subject) error {
	if err := allow(a, change); err != nil {
		return err
	}
	subject, gw, err := s.quotaSubject(ctx, a, sub)
	if err != nil {
		return err
	}
	return gw.DeleteQuota(ctx, subject)
}

// Quotas is the quota of the client's user and of each of its buckets.
type Quotas struct {
	User    *staas.Quota
	Buckets map[string]*staas.Quota // nil value: no quota
	Names   []string                // bucket names in the gateway's order
}

// AllQuotas returns the quotas of the client's user and buckets.
func (s *AdminPanel) AllQuotas(ctx context.Context, a Actor) (*Quotas, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	out := &Quotas{Buckets: map[string]*staas.Quota{}}
	if out.User, err = quotaOrNil(ctx, s.at(m.Cluster), staas.UserQuota(staas.ByID(m.UserID))); err != nil {
		return nil, err
	}
	buckets, err := s.bucketsOf(ctx, m)
	if err != nil {
		return nil, err
	}
	for _, b := range buckets {
		q, err := quotaOrNil(ctx, s.at(m.Cluster), staas.BucketQuota(b.Name))
		if err != nil {
			return nil, err
		}
		out.Buckets[b.Name] = q
		out.Names = append(out.Names, b.Name)
	}
	return out, nil
}

// quotaOrNil reads a quota; none set, or a size of 0 (what the gateway
// reports after a delete), is nil: no quota, unlimited.
func quotaOrNil(ctx context.Context, gw Backend, subject staas.QuotaSubject) (*staas.Quota, error) {
	q, err := gw.Quota(ctx, subject)
	if staas.ErrorCode(err) == staas.ENOTFOUND || (err == nil && q.SizeGB == 0) {
		return nil, nil
	}
	return q, err
}
