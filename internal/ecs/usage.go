package ecs

import (
	"context"
	"regexp"
	"sort"
	"sync"
	"time"

	"staas"
)

// ECS keeps no statistics objects; staas presents each hour of billing
// samples as one, named like ostor's so the collector reads them alike:
// s3-usage-ecs-<start, ms, UTC>-3600.

const (
	usagePrefix = "s3-usage-ecs-"
	usageStamp  = "2006-01-02T15:04:05.000Z"
	usagePeriod = 3600
)

var usageName = regexp.MustCompile(`^s3-usage-ecs-([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:00:00\.000Z)-3600$`)

// UsageName is the name of the hour starting at start.
func UsageName(start time.Time) string {
	return usagePrefix + start.UTC().Format(usageStamp) + "-3600"
}

func parseUsageName(name string) (time.Time, error) {
	m := usageName.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, staas.Errorf(staas.EINVALID, "%q is not an ECS usage window name (s3-usage-ecs-<hour>-3600).", name)
	}
	t, err := time.Parse(usageStamp, m[1])
	if err != nil {
		return time.Time{}, staas.Errorf(staas.EINVALID, "%q is not an ECS usage window name: %v.", name, err)
	}
	return t, nil
}

// CheckUsageObjectName refuses a name that is no hourly window's.
func (c *Client) CheckUsageObjectName(name string) error {
	_, err := parseUsageName(name)
	return err
}

// upToDate is the earliest uptodate_till of staas's namespaces: the time
// up to which every one's billing data is consistent. ok is false when
// staas has no namespace. Several namespaces are read with one bulk
// POST; a cluster that refuses it is asked one namespace at a time.
func (c *Client) upToDate(ctx context.Context) (time.Time, bool, error) {
	nss, err := c.namespaces(ctx)
	if err != nil || len(nss) == 0 {
		return time.Time{}, false, err
	}
	var infos []NamespaceBillingInfo
	if len(nss) > 1 {
		bulk, err := c.NamespacesBillingInfo(ctx, nss, "GB", false)
		switch staas.ErrorCode(err) {
		case "":
			if len(bulk) == len(nss) {
				infos = bulk
			}
		case staas.EINVALID, staas.ENOTFOUND, staas.EINTERNAL:
			c.log.Debug("ecs: bulk namespace billing refused, asking one namespace at a time", "err", err)
		default:
			return time.Time{}, false, err
		}
	}
	if infos == nil {
		for _, ns := range nss {
			info, err := c.namespaceInfo(ctx, ns, "GB", false)
			if err != nil {
				return time.Time{}, false, err
			}
			infos = append(infos, *info)
		}
	}
	var min time.Time
	for _, info := range infos {
		t := info.UptodateTill
		if t.IsZero() {
			t = info.SampleTime
		}
		if t.IsZero() {
			return time.Time{}, false, nil
		}
		if min.IsZero() || t.Before(min) {
			min = t
		}
	}
	return min, !min.IsZero(), nil
}

// windows are the hourly windows from now-UsageLookback whose end is not
// after the cluster's uptodate_till (nor now).
func (c *Client) windows(ctx context.Context) ([]time.Time, error) {
	till, ok, err := c.upToDate(ctx)
	if err != nil || !ok {
		return nil, err
	}
	now := c.cfg.Now().UTC()
	var out []time.Time
	for t := now.Add(-c.cfg.UsageLookback).Truncate(time.Hour); ; t = t.Add(time.Hour) {
		end := t.Add(time.Hour)
		if end.After(till) || end.After(now) {
			break
		}
		out = append(out, t)
	}
	return out, nil
}

// EachUsageObject calls fn with the name of every complete hourly window
// (usage.Backend).
func (c *Client) EachUsageObject(ctx context.Context, fn func(name string) error) error {
	ws, err := c.windows(ctx)
	if err != nil {
		return err
	}
	for _, t := range ws {
		if err := fn(UsageName(t)); err != nil {
			return err
		}
	}
	return nil
}

// StreamUsageObject reads one hour's bucket samples in every namespace
// of staas's and calls fn with one item per bucket: ingress as Uploaded,
// egress as Downloaded, no operation counts. A bucket whose data is not
// yet consistent up to the window's end makes the whole window a
// temporary failure, so it stays unbilled until later.
func (c *Client) StreamUsageObject(ctx context.Context, name string, fn func(staas.UsageItem) error) (*staas.UsageHeader, error) {
	start, err := parseUsageName(name)
	if err != nil {
		return nil, err
	}
	end := start.Add(time.Hour)
	nss, err := c.namespaces(ctx)
	if err != nil {
		return nil, err
	}
	type result struct {
		sample *NamespaceSample
		owners map[string]string
		err    error
	}
	results := make([]result, len(nss))
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.cfg.Concurrency)
	for i, ns := range nss {
		wg.Add(1)
		go func(i int, ns string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := c.NamespaceSample(ctx, ns, start, end)
			if err != nil {
				results[i].err = err
				return
			}
			list, err := c.listBuckets(ctx, ns)
			if err != nil {
				results[i].err = err
				return
			}
			owners := make(map[string]string, len(list))
			for _, b := range list {
				owners[b.Name] = b.Owner
			}
			results[i] = result{sample: s, owners: owners}
		}(i, ns)
	}
	wg.Wait()
	var items []staas.UsageItem
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		for _, b := range r.sample.Buckets {
			till := b.UptodateTill
			if till.IsZero() {
				till = r.sample.UptodateTill
			}
			if till.Before(end) {
				return nil, staas.Errorf(staas.EUNAVAILABLE, "ECS's billing data of bucket %s in namespace %s is consistent only up to %s, before the end of the window %s; it stays unbilled until later.",
					b.Name, r.sample.Namespace, till.Format(time.RFC3339), end.Format(time.RFC3339))
			}
			items = append(items, staas.UsageItem{Key: staas.UsageKey{Bucket: b.Name, UserID: r.owners[b.Name]}, Uploaded: b.Ingress, Downloaded: b.Egress})
		}
	}
	for _, it := range items {
		if err := fn(it); err != nil {
			return nil, err
		}
	}
	return &staas.UsageHeader{ServiceID: "ecs", StartTS: uint64(start.Unix()), Period: usagePeriod, Count: uint64(len(items))}, nil
}

// DeleteUsageObject does nothing: ECS keeps its samples, and the
// collector records which windows it billed.
func (c *Client) DeleteUsageObject(context.Context, string) error { return nil }

// UsagePage lists window names after after, at most limit (0: all).
func (c *Client) UsagePage(ctx context.Context, after string, limit int) (*staas.UsageList, error) {
	var names []string
	if err := c.EachUsageObject(ctx, func(n string) error {
		if n > after {
			names = append(names, n)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := &staas.UsageList{Count: uint64(len(names))}
	if limit > 0 && len(names) > limit {
		names, out.Truncated = names[:limit], true
	}
	out.Items = names
	return out, nil
}

// UsageObject is one window with all its items.
func (c *Client) UsageObject(ctx context.Context, name string) (*staas.UsageObject, error) {
	var items []staas.UsageItem
	h, err := c.StreamUsageObject(ctx, name, func(it staas.UsageItem) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &staas.UsageObject{UsageHeader: *h, Items: items}, nil
}
