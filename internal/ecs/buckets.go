package ecs

import (
	"context"
	"net/url"
	"sort"
	"time"

	"staas"
)

// listBuckets is every bucket of a namespace (marker paging).
func (c *Client) listBuckets(ctx context.Context, ns string) ([]objectBucket, error) {
	var out []objectBucket
	marker := ""
	for {
		q := url.Values{"namespace": {ns}}
		if marker != "" {
			q.Set("marker", marker)
		}
		var page bucketList
		if err := c.do(ctx, "GET", "/object/bucket", q, nil, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Buckets...)
		if page.NextMarker == "" || page.NextMarker == marker {
			return out, nil
		}
		marker = page.NextMarker
	}
}

// namespaces are the namespaces staas manages: the shared one, or every
// namespace shaped like NamespaceFor's.
func (c *Client) namespaces(ctx context.Context) ([]string, error) {
	if c.cfg.Namespace != "" {
		return []string{c.cfg.Namespace}, nil
	}
	var out []string
	marker := ""
	for {
		q := url.Values{}
		if marker != "" {
			q.Set("marker", marker)
		}
		var page namespaceList
		if err := c.do(ctx, "GET", "/object/namespaces", q, nil, &page); err != nil {
			return nil, err
		}
		for _, n := range page.Namespaces {
			name := n.Name
			if name == "" {
				name = n.ID
			}
			if ourNamespace.MatchString(name) {
				out = append(out, name)
			}
		}
		if page.NextMarker == "" || page.NextMarker == marker {
			break
		}
		marker = page.NextMarker
	}
	sort.Strings(out)
	return out, nil
}

// sizes are the bytes of each bucket of a namespace, from its billing
// info with bucket detail: sizeunit BYTE, or KB×1024 on a cluster that
// refuses BYTE.
func (c *Client) sizes(ctx context.Context, ns string) (map[string]uint64, error) {
	info, err := c.NamespaceBillingInfo(ctx, ns, "BYTE")
	if staas.ErrorCode(err) == staas.EINVALID {
		info, err = c.NamespaceBillingInfo(ctx, ns, "KB")
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]uint64, len(info.Buckets))
	for _, b := range info.Buckets {
		out[b.Name] = b.Bytes()
	}
	return out, nil
}

func toBucket(b objectBucket, size uint64) staas.Bucket {
	out := staas.Bucket{Name: b.Name, OwnerID: b.Owner, Size: staas.BucketSize{Current: size}}
	if t, err := time.Parse(time.RFC3339Nano, b.Created); err == nil {
		out.CreationDate = t.UTC()
	}
	return out
}

// BucketsOf lists the buckets the user owns, with sizes.
func (c *Client) BucketsOf(ctx context.Context, ref staas.UserRef) ([]staas.Bucket, error) {
	uid, err := refID(ref)
	if err != nil {
		return nil, err
	}
	ns := c.namespaceOf(uid)
	list, err := c.listBuckets(ctx, ns)
	if err != nil {
		return nil, err
	}
	var mine []objectBucket
	for _, b := range list {
		if b.Owner == uid {
			mine = append(mine, b)
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	sizes, err := c.sizes(ctx, ns)
	if err != nil {
		return nil, err
	}
	out := make([]staas.Bucket, 0, len(mine))
	for _, b := range mine {
		out = append(out, toBucket(b, sizes[b.Name]))
	}
	return out, nil
}

// Buckets is every bucket in staas's namespaces, with its owner and size
// (usage.Backend).
func (c *Client) Buckets(ctx context.Context) ([]staas.Bucket, error) {
	nss, err := c.namespaces(ctx)
	if err != nil {
		return nil, err
	}
	var out []staas.Bucket
	for _, ns := range nss {
		list, err := c.listBuckets(ctx, ns)
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			continue
		}
		sizes, err := c.sizes(ctx, ns)
		if err != nil {
			return nil, err
		}
		for _, b := range list {
			out = append(out, toBucket(b, sizes[b.Name]))
		}
	}
	return out, nil
}

// bucketNamespace finds the one namespace of staas's that holds bucket.
func (c *Client) bucketNamespace(ctx context.Context, bucket string) (string, error) {
	if bucket == "" {
		return "", staas.Errorf(staas.EINVALID, "No bucket was named.")
	}
	nss, err := c.namespaces(ctx)
	if err != nil {
		return "", err
	}
	var found []string
	for _, ns := range nss {
		err := c.do(ctx, "GET", "/object/bucket/"+esc(bucket)+"/info", url.Values{"namespace": {ns}}, nil, nil)
		switch staas.ErrorCode(err) {
		case "":
			found = append(found, ns)
		case staas.ENOTFOUND:
		default:
			return "", err
		}
	}
	switch len(found) {
	case 0:
		return "", staas.Errorf(staas.ENOTFOUND, "No namespace of staas's on ECS holds a bucket %s.", bucket)
	case 1:
		return found[0], nil
	}
	return "", staas.Errorf(staas.EINVALID, "The bucket name %s is in more than one namespace of staas's on ECS (%v); staas cannot tell which is meant.", bucket, found)
}
