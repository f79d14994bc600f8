package ecssim

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

const sampleStep = 5 * time.Minute

// sizeUnit reads ?sizeunit=: KB, MB, GB (binary, as ECS computes them),
// KiB, MiB, GiB, or BYTE. GB is the default.
func sizeUnit(q url.Values) (string, float64, error) {
	u := q.Get("sizeunit")
	switch strings.ToUpper(u) {
	case "":
		return "GB", 1 << 30, nil
	case "GB", "GIB":
		return u, 1 << 30, nil
	case "MB", "MIB":
		return u, 1 << 20, nil
	case "KB", "KIB":
		return u, 1 << 10, nil
	case "BYTE", "BYTES":
		return u, 1, nil
	}
	return "", 0, &apiError{status: 400, code: 1008, desc: "Invalid parameter", details: "sizeunit must be KB, MB, GB, KiB, MiB, GiB or BYTE, not " + u}
}

// uptodate is the time metering has caught up to. Caller holds s.mu.
func (s *Server) uptodate() time.Time {
	return s.clock().Add(-s.opt.UptodateLag).Truncate(sampleStep)
}

// UptodateTill is what billing answers report as uptodate_till now.
func (s *Server) UptodateTill() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uptodate()
}

func (s *Server) bucketInfoDoc(b *bucket, unit string, div float64) obj {
	now := s.clock()
	size, objects, delSize, delObjects := b.totals(now, true)
	return obj{
		{"namespace", b.ns}, {"name", b.name}, {"vpool_id", VpoolID},
		{"total_size", float64(size) / div}, {"total_size_unit", unit}, {"total_objects", objects},
		{"sample_time", fmtTime(now)},
		{"total_mpu_size", float64(b.mpuSize) / div}, {"total_mpu_parts", b.mpuParts},
		{"TagSet", wrapped{item: "Tag", items: tagKV(b.tags)}},
		{"uptodate_till", fmtTime(s.uptodate())},
		{"total_size_deleted", float64(delSize) / div}, {"total_objects_deleted", delObjects},
	}
}

// window is a sample's [start, end) range, checked.
type window struct{ start, end time.Time }

func parseSampleTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, missingParam(name)
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04Z", "2006-01-02T15:04:05Z"} {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Second() != 0 || t.Minute()%5 != 0 {
				return time.Time{}, &apiError{status: 400, code: 1008, desc: "Invalid parameter", details: name + " must be a multiple of 5 minutes: " + v}
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, &apiError{status: 400, code: 1008, desc: "Invalid parameter", details: name + " must be ISO-8601 minutes (yyyy-MM-ddTHH:mm): " + v}
}

func sampleWindow(q url.Values) (window, error) {
	st, err := parseSampleTime("start_time", q.Get("start_time"))
	if err != nil {
		return window{}, err
	}
	en, err := parseSampleTime("end_time", q.Get("end_time"))
	if err != nil {
		return window{}, err
	}
	if !st.Before(en) {
		return window{}, &apiError{status: 400, code: 1008, desc: "Invalid parameter", details: "start_time must be before end_time"}
	}
	return window{st, en}, nil
}

type agg struct {
	created, deleted, delta, ingress, egress, size, objects int64
}

// sample aggregates a bucket's traffic inside w as far as metering has
// caught up. Caller holds s.mu.
func (s *Server) sample(b *bucket, w window) agg {
	visible := w.end
	if up := s.uptodate(); up.Before(visible) {
		visible = up
	}
	var a agg
	for _, e := range b.events {
		if !e.At.Before(visible) {
			continue
		}
		a.size += e.BytesDelta
		a.objects += e.ObjectsCreated - e.ObjectsDeleted
		if e.At.Before(w.start) {
			continue
		}
		a.created += e.ObjectsCreated
		a.deleted += e.ObjectsDeleted
		a.delta += e.BytesDelta
		a.ingress += e.Ingress
		a.egress += e.Egress
	}
	return a
}

func sampleTimes(w window) obj {
	const f = "2006-01-02T15:04Z"
	return obj{{"sample_start_time", w.start.Format(f)}, {"sample_end_time", w.end.Format(f)}}
}

func (s *Server) bucketSampleDoc(b *bucket, w window, unit string, div float64) obj {
	a := s.sample(b, w)
	doc := obj{{"namespace", b.ns}, {"name", b.name}, {"vpool_id", VpoolID}}
	doc = append(doc, sampleTimes(w)...)
	doc = append(doc, aggDoc(a, unit, div, s.uptodate())...)
	return append(doc, kv{"total_mpu_size", float64(b.mpuSize) / div}, kv{"total_mpu_parts", b.mpuParts},
		kv{"TagSet", wrapped{item: "Tag", items: tagKV(b.tags)}})
}

// aggDoc writes a sample's counters: bytes_delta, ingress and egress are
// whole bytes (int64 in the 4.1 specification), total_size is in the unit.
func aggDoc(a agg, unit string, div float64, up time.Time) obj {
	return obj{
		{"uptodate_till", fmtTime(up)},
		{"objects_created", a.created}, {"objects_deleted", a.deleted},
		{"bytes_delta", a.delta},
		{"total_size", float64(a.size) / div}, {"total_size_unit", unit}, {"total_objects", a.objects},
		{"ingress", a.ingress}, {"egress", a.egress},
	}
}

// nsBuckets lists a namespace's buckets by name. Caller holds s.mu.
func (s *Server) nsBuckets(ns string) []*bucket {
	var out []*bucket
	for _, b := range s.buckets {
		if b.ns == ns {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// page picks the buckets after marker, at most the page size, and the
// next marker if more remain.
func (s *Server) page(all []*bucket, marker string) ([]*bucket, string) {
	var out []*bucket
	for _, b := range all {
		if b.name > marker {
			out = append(out, b)
		}
	}
	if len(out) > s.opt.BillingPageSize {
		out = out[:s.opt.BillingPageSize]
		return out, out[len(out)-1].name
	}
	return out, ""
}

func (s *Server) nsInfoDoc(ns string, q url.Values, unit string, div float64) obj {
	now := s.clock()
	all := s.nsBuckets(ns)
	var size, objects, mpuSize, mpuParts int64
	for _, b := range all {
		sz, n, _, _ := b.totals(now, true)
		size += sz
		objects += n
		mpuSize += b.mpuSize
		mpuParts += b.mpuParts
	}
	doc := obj{
		{"namespace", ns},
		{"total_size", float64(size) / div}, {"total_size_unit", unit}, {"total_objects", objects},
		{"sample_time", fmtTime(now)}, {"uptodate_till", fmtTime(s.uptodate())},
		{"total_mpu_size", float64(mpuSize) / div}, {"total_mpu_parts", mpuParts},
	}
	if q.Get("include_bucket_detail") == "true" {
		pg, next := s.page(all, q.Get("marker"))
		l := list{}
		for _, b := range pg {
			l = append(l, s.bucketInfoDoc(b, unit, div))
		}
		if next != "" {
			doc = append(doc, kv{"next_marker", next})
		}
		doc = append(doc, kv{"bucket_billing_info", l})
	}
	return doc
}

// idList reads {"id":[…]} or <…_list><id>…</id></…_list>.
func idList(r *http.Request) ([]string, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, it := range b.items("id") {
		s, ok := it.(string)
		if !ok || s == "" {
			return nil, badBody("id must be a list of names")
		}
		ids = append(ids, s)
	}
	if len(ids) == 0 {
		return nil, missingParam("id")
	}
	return ids, nil
}

func (s *Server) routeBilling(r *http.Request, seg []string) (*result, error) {
	q := r.URL.Query()
	m := r.Method
	unit, div, err := sizeUnit(q)
	if err != nil {
		return nil, err
	}
	switch {
	case len(seg) == 4 && seg[0] == "buckets" && (seg[3] == "info" || seg[3] == "sample") && m == "GET":
		b, err := s.findBucket(seg[1], seg[2])
		if err != nil {
			return nil, err
		}
		if seg[3] == "info" {
			return okDoc("bucket_billing_info", s.bucketInfoDoc(b, unit, div)), nil
		}
		w, err := sampleWindow(q)
		if err != nil {
			return nil, err
		}
		return okDoc("bucket_billing_sample", s.bucketSampleDoc(b, w, unit, div)), nil
	case len(seg) == 3 && seg[0] == "buckets" && seg[2] == "info" && m == "POST":
		if err := s.needNamespace(seg[1]); err != nil {
			return nil, err
		}
		ids, err := idList(r)
		if err != nil {
			return nil, err
		}
		l := list{}
		for _, id := range ids {
			b, err := s.findBucket(seg[1], id)
			if err != nil {
				return nil, err
			}
			l = append(l, s.bucketInfoDoc(b, unit, div))
		}
		return okDoc("bucket_billing_infos", obj{{"bucket_billing_info", l}}), nil
	case len(seg) == 3 && seg[0] == "namespace" && seg[2] == "info" && m == "GET":
		if err := s.needNamespace(seg[1]); err != nil {
			return nil, err
		}
		return okDoc("namespace_billing_info", s.nsInfoDoc(seg[1], q, unit, div)), nil
	case len(seg) == 2 && seg[0] == "namespace" && seg[1] == "info" && m == "POST":
		ids, err := idList(r)
		if err != nil {
			return nil, err
		}
		l := list{}
		for _, id := range ids {
			if err := s.needNamespace(id); err != nil {
				return nil, err
			}
			l = append(l, s.nsInfoDoc(id, url.Values{}, unit, div))
		}
		root := "namespace_billing_infos"
		if !s.bulkPlural {
			root = "namespace_billing_info"
		}
		return okDoc(root, obj{{"namespace_billing_info", l}}), nil
	case len(seg) == 3 && seg[0] == "buckets" && seg[2] == "sample" && m == "POST":
		if err := s.needNamespace(seg[1]); err != nil {
			return nil, err
		}
		w, err := sampleWindow(q)
		if err != nil {
			return nil, err
		}
		ids, err := idList(r)
		if err != nil {
			return nil, err
		}
		l := list{}
		for _, id := range ids {
			b, err := s.findBucket(seg[1], id)
			if err != nil {
				return nil, err
			}
			l = append(l, s.bucketSampleDoc(b, w, unit, div))
		}
		return okDoc("bucket_billing_samples", obj{{"bucket_billing_sample_info", l}}), nil
	case len(seg) == 2 && seg[0] == "namespace" && seg[1] == "sample" && m == "POST":
		w, err := sampleWindow(q)
		if err != nil {
			return nil, err
		}
		ids, err := idList(r)
		if err != nil {
			return nil, err
		}
		l := list{}
		for _, id := range ids {
			if err := s.needNamespace(id); err != nil {
				return nil, err
			}
			l = append(l, s.nsSampleDoc(id, w, url.Values{}, unit, div))
		}
		return okDoc("namespace_billing_samples", obj{{"namespace_billing_sample_info", l}}), nil
	case len(seg) == 3 && seg[0] == "namespace" && seg[2] == "sample" && m == "GET":
		if err := s.needNamespace(seg[1]); err != nil {
			return nil, err
		}
		w, err := sampleWindow(q)
		if err != nil {
			return nil, err
		}
		return okDoc("namespace_billing_sample", s.nsSampleDoc(seg[1], w, q, unit, div)), nil
	}
	return nil, notFound("no such resource: " + r.URL.Path)
}

func (s *Server) nsSampleDoc(ns string, w window, q url.Values, unit string, div float64) obj {
	all := s.nsBuckets(ns)
	var tot agg
	for _, b := range all {
		a := s.sample(b, w)
		tot.created += a.created
		tot.deleted += a.deleted
		tot.delta += a.delta
		tot.ingress += a.ingress
		tot.egress += a.egress
		tot.size += a.size
		tot.objects += a.objects
	}
	doc := obj{{"namespace", ns}}
	doc = append(doc, sampleTimes(w)...)
	doc = append(doc, aggDoc(tot, unit, div, s.uptodate())...)
	if q.Get("include_bucket_detail") == "true" {
		pg, next := s.page(all, q.Get("marker"))
		l := list{}
		for _, b := range pg {
			l = append(l, s.bucketSampleDoc(b, w, unit, div))
		}
		if next != "" {
			doc = append(doc, kv{"next_marker", next})
		}
		doc = append(doc, kv{"bucket_billing_sample", l})
	}
	return doc
}
