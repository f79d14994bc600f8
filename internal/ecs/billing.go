package ecs

import (
	"context"
	"math"
	"net/url"
	"strings"
	"time"

	"staas"
)

// BillingTag is one tag of a bucket billing answer (the owner's user tags).
type BillingTag struct {
	Key   string `json:"Key" xml:"Key"`
	Value string `json:"Value" xml:"Value"`
}

// BucketBillingInfo is ECS's billing info of one bucket. TotalSize is in
// TotalSizeUnit (KB, MB and GB are KiB, MiB and GiB; BYTE is bytes).
type BucketBillingInfo struct {
	Name                string
	Namespace           string
	VpoolID             string
	TotalSize           float64
	TotalSizeUnit       string
	TotalObjects        int64
	SampleTime          time.Time
	UptodateTill        time.Time
	Tags                []BillingTag
	TotalMPUSize        float64
	TotalMPUParts       int64
	TotalSizeDeleted    float64
	TotalObjectsDeleted int64
}

// Bytes is TotalSize in bytes, with binary units.
func (b *BucketBillingInfo) Bytes() uint64 { return toBytes(b.TotalSize, b.TotalSizeUnit) }

// NamespaceBillingInfo is ECS's billing info of one namespace and, when
// asked for, its buckets (every page joined).
type NamespaceBillingInfo struct {
	Namespace     string
	TotalSize     float64
	TotalSizeUnit string
	TotalObjects  int64
	SampleTime    time.Time
	UptodateTill  time.Time
	TotalMPUSize  float64
	TotalMPUParts int64
	Buckets       []BucketBillingInfo
}

// Bytes is TotalSize in bytes, with binary units.
func (n *NamespaceBillingInfo) Bytes() uint64 { return toBytes(n.TotalSize, n.TotalSizeUnit) }

func unitFactor(unit string) float64 {
	switch strings.ToUpper(strings.TrimSpace(unit)) {
	case "KB", "KIB":
		return 1 << 10
	case "MB", "MIB":
		return 1 << 20
	case "GB", "GIB", "":
		return 1 << 30
	}
	return 1
}

func toBytes(size float64, unit string) uint64 {
	v := math.Round(size * unitFactor(unit))
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	if v >= math.MaxUint64 {
		return math.MaxUint64
	}
	return uint64(v)
}

func checkUnit(unit string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(unit))
	switch u {
	case "":
		return "GB", nil
	case "KB", "MB", "GB", "BYTE":
		return u, nil
	}
	return "", staas.Errorf(staas.EINVALID, "The size unit %q is not one of KB, MB, GB and BYTE.", unit)
}

type bucketBillingWire struct {
	Name                string       `json:"name" xml:"name"`
	Namespace           string       `json:"namespace" xml:"namespace"`
	VpoolID             string       `json:"vpool_id" xml:"vpool_id"`
	TotalSize           flexNumber   `json:"total_size" xml:"total_size"`
	TotalSizeUnit       string       `json:"total_size_unit" xml:"total_size_unit"`
	TotalObjects        flexInt      `json:"total_objects" xml:"total_objects"`
	SampleTime          string       `json:"sample_time" xml:"sample_time"`
	UptodateTill        string       `json:"uptodate_till" xml:"uptodate_till"`
	TagSet              []BillingTag `json:"TagSet" xml:"TagSet>Tag"`
	TotalMPUSize        flexNumber   `json:"total_mpu_size" xml:"total_mpu_size"`
	TotalMPUParts       flexInt      `json:"total_mpu_parts" xml:"total_mpu_parts"`
	TotalSizeDeleted    flexNumber   `json:"total_size_deleted" xml:"total_size_deleted"`
	TotalObjectsDeleted flexInt      `json:"total_objects_deleted" xml:"total_objects_deleted"`
}

func (w *bucketBillingWire) info() BucketBillingInfo {
	return BucketBillingInfo{
		Name: w.Name, Namespace: w.Namespace, VpoolID: w.VpoolID,
		TotalSize: float64(w.TotalSize), TotalSizeUnit: w.TotalSizeUnit, TotalObjects: int64(w.TotalObjects),
		SampleTime: parseTime(w.SampleTime), UptodateTill: parseTime(w.UptodateTill), Tags: w.TagSet,
		TotalMPUSize: float64(w.TotalMPUSize), TotalMPUParts: int64(w.TotalMPUParts),
		TotalSizeDeleted: float64(w.TotalSizeDeleted), TotalObjectsDeleted: int64(w.TotalObjectsDeleted),
	}
}

type namespaceBillingWire struct {
	Namespace     string              `json:"namespace" xml:"namespace"`
	TotalSize     flexNumber          `json:"total_size" xml:"total_size"`
	TotalSizeUnit string              `json:"total_size_unit" xml:"total_size_unit"`
	TotalObjects  flexInt             `json:"total_objects" xml:"total_objects"`
	SampleTime    string              `json:"sample_time" xml:"sample_time"`
	UptodateTill  string              `json:"uptodate_till" xml:"uptodate_till"`
	TotalMPUSize  flexNumber          `json:"total_mpu_size" xml:"total_mpu_size"`
	TotalMPUParts flexInt             `json:"total_mpu_parts" xml:"total_mpu_parts"`
	NextMarker    string              `json:"next_marker" xml:"next_marker"`
	Buckets       []bucketBillingWire `json:"bucket_billing_info" xml:"bucket_billing_info"`
}

func (w *namespaceBillingWire) info() NamespaceBillingInfo {
	out := NamespaceBillingInfo{
		Namespace: w.Namespace, TotalSize: float64(w.TotalSize), TotalSizeUnit: w.TotalSizeUnit,
		TotalObjects: int64(w.TotalObjects), SampleTime: parseTime(w.SampleTime), UptodateTill: parseTime(w.UptodateTill),
		TotalMPUSize: float64(w.TotalMPUSize), TotalMPUParts: int64(w.TotalMPUParts),
	}
	if len(w.Buckets) > 0 {
		out.Buckets = make([]BucketBillingInfo, len(w.Buckets))
		for i := range w.Buckets {
			out.Buckets[i] = w.Buckets[i].info()
		}
	}
	return out
}

// bulkNamespaceBilling takes both root-key spellings ECS uses.
type bulkNamespaceBilling struct {
	One  []namespaceBillingWire `json:"namespace_billing_info" xml:"namespace_billing_info"`
	Many []namespaceBillingWire `json:"namespace_billing_infos" xml:"namespace_billing_infos"`
}

type bulkBucketBilling struct {
	One  []bucketBillingWire `json:"bucket_billing_info" xml:"bucket_billing_info"`
	Many []bucketBillingWire `json:"bucket_billing_infos" xml:"bucket_billing_infos"`
}

func (w *bulkNamespaceBilling) infos() []NamespaceBillingInfo {
	return joinInfos((*namespaceBillingWire).info, w.One, w.Many)
}

func (w *bulkBucketBilling) infos() []BucketBillingInfo {
	return joinInfos((*bucketBillingWire).info, w.One, w.Many)
}

// joinInfos converts the entries under either root key, in order; the
// bulk answers differ only in their element types.
func joinInfos[W, T any](info func(*W) T, lists ...[]W) []T {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]T, 0, n)
	for _, l := range lists {
		for i := range l {
			out = append(out, info(&l[i]))
		}
	}
	return out
}

// parseTime reads ECS's yyyy-MM-dd'T'HH:mm:ss'Z' (or RFC 3339); anything
// else is the zero time.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse("2006-01-02T15:04Z", s); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

// BucketBillingInfo is GET /object/billing/buckets/{ns}/{bucket}/info.
func (c *Client) BucketBillingInfo(ctx context.Context, namespace, bucket, unit string) (*BucketBillingInfo, error) {
	u, err := checkUnit(unit)
	if err != nil {
		return nil, err
	}
	if namespace == "" || bucket == "" {
		return nil, staas.Errorf(staas.EINVALID, "Billing info needs a namespace and a bucket.")
	}
	var w bucketBillingWire
	if err := c.do(ctx, "GET", "/object/billing/buckets/"+esc(namespace)+"/"+esc(bucket)+"/info", url.Values{"sizeunit": {u}}, nil, &w); err != nil {
		return nil, err
	}
	out := w.info()
	return &out, nil
}

// BucketsBillingInfo is the bulk POST /object/billing/buckets/{ns}/info.
func (c *Client) BucketsBillingInfo(ctx context.Context, namespace string, buckets []string, unit string) ([]BucketBillingInfo, error) {
	u, err := checkUnit(unit)
	if err != nil {
		return nil, err
	}
	var w bulkBucketBilling
	if err := c.do(ctx, "POST", "/object/billing/buckets/"+esc(namespace)+"/info", url.Values{"sizeunit": {u}}, map[string]any{"id": buckets}, &w); err != nil {
		return nil, err
	}
	return w.infos(), nil
}

// UserBucketBilling is the billing info of every bucket the user owns.
func (c *Client) UserBucketBilling(ctx context.Context, ref staas.UserRef, unit string) ([]BucketBillingInfo, error) {
	uid, err := refID(ref)
	if err != nil {
		return nil, err
	}
	if _, err := checkUnit(unit); err != nil {
		return nil, err
	}
	ns := c.namespaceOf(uid)
	list, err := c.listBuckets(ctx, ns)
	if err != nil {
		return nil, err
	}
	var out []BucketBillingInfo
	for _, b := range list {
		if b.Owner != uid {
			continue
		}
		info, err := c.BucketBillingInfo(ctx, ns, b.Name, unit)
		if err != nil {
			return nil, err
		}
		out = append(out, *info)
	}
	return out, nil
}

// NamespaceBillingInfo is GET /object/billing/namespace/{ns}/info with
// bucket detail, every marker page joined.
func (c *Client) NamespaceBillingInfo(ctx context.Context, namespace, unit string) (*NamespaceBillingInfo, error) {
	return c.namespaceInfo(ctx, namespace, unit, true)
}

func (c *Client) namespaceInfo(ctx context.Context, namespace, unit string, detail bool) (*NamespaceBillingInfo, error) {
	u, err := checkUnit(unit)
	if err != nil {
		return nil, err
	}
	var out *NamespaceBillingInfo
	marker := ""
	for {
		q := url.Values{"sizeunit": {u}}
		if detail {
			q.Set("include_bucket_detail", "true")
		}
		if marker != "" {
			q.Set("marker", marker)
		}
		var w namespaceBillingWire
		if err := c.do(ctx, "GET", "/object/billing/namespace/"+esc(namespace)+"/info", q, nil, &w); err != nil {
			return nil, err
		}
		page := w.info()
		if out == nil {
			out = &page
		} else {
			out.Buckets = append(out.Buckets, page.Buckets...)
		}
		if !detail || w.NextMarker == "" || w.NextMarker == marker {
			return out, nil
		}
		marker = w.NextMarker
	}
}

// NamespacesBillingInfo is the bulk POST /object/billing/namespace/info.
func (c *Client) NamespacesBillingInfo(ctx context.Context, namespaces []string, unit string, detail bool) ([]NamespaceBillingInfo, error) {
	u, err := checkUnit(unit)
	if err != nil {
		return nil, err
	}
	q := url.Values{"sizeunit": {u}}
	if detail {
		q.Set("include_bucket_detail", "true")
	}
	var w bulkNamespaceBilling
	if err := c.do(ctx, "POST", "/object/billing/namespace/info", q, map[string]any{"id": namespaces}, &w); err != nil {
		return nil, err
	}
	return w.infos(), nil
}

// BucketSample is the traffic of one bucket in a sample window. Ingress
// and Egress are bytes (inferred: they equal bytes_delta in ECS's example).
type BucketSample struct {
	Name           string
	Namespace      string
	Ingress        uint64
	Egress         uint64
	ObjectsCreated int64
	ObjectsDeleted int64
	BytesDelta     float64
	UptodateTill   time.Time
}

// NamespaceSample is one namespace's billing sample of a window with its
// buckets (every page joined).
type NamespaceSample struct {
	Namespace    string
	Start, End   time.Time
	Ingress      uint64
	Egress       uint64
	UptodateTill time.Time
	Buckets      []BucketSample
}

type bucketSampleWire struct {
	Name           string     `json:"name" xml:"name"`
	Namespace      string     `json:"namespace" xml:"namespace"`
	Ingress        flexInt    `json:"ingress" xml:"ingress"`
	Egress         flexInt    `json:"egress" xml:"egress"`
	ObjectsCreated flexInt    `json:"objects_created" xml:"objects_created"`
	ObjectsDeleted flexInt    `json:"objects_deleted" xml:"objects_deleted"`
	BytesDelta     flexNumber `json:"bytes_delta" xml:"bytes_delta"`
	UptodateTill   string     `json:"uptodate_till" xml:"uptodate_till"`
}

type namespaceSampleWire struct {
	Namespace    string             `json:"namespace" xml:"namespace"`
	Start        string             `json:"sample_start_time" xml:"sample_start_time"`
	End          string             `json:"sample_end_time" xml:"sample_end_time"`
	Ingress      flexInt            `json:"ingress" xml:"ingress"`
	Egress       flexInt            `json:"egress" xml:"egress"`
	UptodateTill string             `json:"uptodate_till" xml:"uptodate_till"`
	NextMarker   string             `json:"next_marker" xml:"next_marker"`
	Buckets      []bucketSampleWire `json:"bucket_billing_sample" xml:"bucket_billing_sample"`
}

func nonNeg(v flexInt) uint64 {
	if v < 0 {
		return 0
	}
	return uint64(v)
}

// sampleTime is ECS's ISO-8601 minute format.
const sampleTime = "2006-01-02T15:04Z"

// CheckWindow refuses a sample window ECS would refuse: start and end
// must be multiples of 5 minutes, start before end.
func CheckWindow(start, end time.Time) error {
	for _, t := range []time.Time{start, end} {
		if t.IsZero() || !t.Equal(t.Truncate(5*time.Minute)) {
			return staas.Errorf(staas.EINVALID, "ECS takes billing sample times only on whole multiples of 5 minutes; %s is not.", t.UTC().Format(time.RFC3339Nano))
		}
	}
	if !start.Before(end) {
		return staas.Errorf(staas.EINVALID, "A billing sample window must start before it ends.")
	}
	return nil
}

// NamespaceSample is GET /object/billing/namespace/{ns}/sample for
// [start, end) with bucket detail, sizes in bytes, every page joined. A
// window not on 5-minute boundaries is refused before anything is sent.
func (c *Client) NamespaceSample(ctx context.Context, namespace string, start, end time.Time) (*NamespaceSample, error) {
	if err := CheckWindow(start, end); err != nil {
		return nil, err
	}
	var out *NamespaceSample
	marker := ""
	for {
		q := url.Values{
			"start_time":            {start.UTC().Format(sampleTime)},
			"end_time":              {end.UTC().Format(sampleTime)},
			"include_bucket_detail": {"true"},
			"sizeunit":              {"BYTE"},
		}
		if marker != "" {
			q.Set("marker", marker)
		}
		var w namespaceSampleWire
		if err := c.do(ctx, "GET", "/object/billing/namespace/"+esc(namespace)+"/sample", q, nil, &w); err != nil {
			return nil, err
		}
		if out == nil {
			out = &NamespaceSample{Namespace: w.Namespace, Start: parseTime(w.Start), End: parseTime(w.End),
				Ingress: nonNeg(w.Ingress), Egress: nonNeg(w.Egress), UptodateTill: parseTime(w.UptodateTill)}
			if out.Namespace == "" {
				out.Namespace = namespace
			}
		}
		for _, b := range w.Buckets {
			out.Buckets = append(out.Buckets, BucketSample{Name: b.Name, Namespace: b.Namespace,
				Ingress: nonNeg(b.Ingress), Egress: nonNeg(b.Egress), ObjectsCreated: int64(b.ObjectsCreated),
				ObjectsDeleted: int64(b.ObjectsDeleted), BytesDelta: float64(b.BytesDelta), UptodateTill: parseTime(b.UptodateTill)})
		}
		if w.NextMarker == "" || w.NextMarker == marker {
			return out, nil
		}
		marker = w.NextMarker
	}
}
