package ecs

import (
	"context"
	"net/url"

	"staas"
)

// quotaBody is blockSize (hard limit) and notificationSize (90%, at
// least 1), both in GB.
func quotaBody(gb uint64) map[string]any {
	note := gb * 9 / 10
	if note < 1 {
		note = 1
	}
	return map[string]any{"blockSize": gb, "notificationSize": note}
}

// quotaTarget is the path and namespace of a quota subject.
func (c *Client) quotaTarget(ctx context.Context, s staas.QuotaSubject) (path, ns, kind string, err error) {
	switch {
	case s.Default() != "":
		return "", "", "", staas.Errorf(staas.EINVALID, "A default %s quota is not supported by ECS.", s.Default())
	case s.Bucket() != "":
		ns, err := c.bucketNamespace(ctx, s.Bucket())
		if err != nil {
			return "", "", "", err
		}
		return "/object/bucket/" + esc(s.Bucket()) + "/quota", ns, "bucket", nil
	}
	if c.cfg.Namespace != "" {
		return "", "", "", staas.Errorf(staas.EINVALID, "A user quota is not supported by ECS when users share the namespace %s.", c.cfg.Namespace)
	}
	uid, err := refID(s.User())
	if err != nil {
		return "", "", "", err
	}
	ns = NamespaceFor(uid)
	return "/object/namespaces/namespace/" + esc(ns) + "/quota", ns, "user", nil
}

// SetQuota sets a user quota (per-user mode: the user's namespace quota)
// or a bucket quota, in GB; 0 deletes it.
func (c *Client) SetQuota(ctx context.Context, s staas.QuotaSubject, gb uint64) error {
	if gb == 0 {
		return c.DeleteQuota(ctx, s)
	}
	path, ns, kind, err := c.quotaTarget(ctx, s)
	if err != nil {
		return err
	}
	body := quotaBody(gb)
	if kind == "bucket" {
		body["namespace"] = ns
	}
	return c.do(ctx, "PUT", path, nil, body, nil)
}

// Quota reads a user or bucket quota; SizeGB 0 is none.
func (c *Client) Quota(ctx context.Context, s staas.QuotaSubject) (*staas.Quota, error) {
	path, ns, kind, err := c.quotaTarget(ctx, s)
	if err != nil {
		return nil, err
	}
	var q url.Values
	if kind == "bucket" {
		q = url.Values{"namespace": {ns}}
	}
	var d quotaDetails
	if err := c.do(ctx, "GET", path, q, nil, &d); err != nil {
		return nil, err
	}
	out := &staas.Quota{Type: kind}
	if d.BlockSize > 0 {
		out.SizeGB = uint64(d.BlockSize)
	}
	return out, nil
}

// DeleteQuota removes a user or bucket quota.
func (c *Client) DeleteQuota(ctx context.Context, s staas.QuotaSubject) error {
	path, ns, kind, err := c.quotaTarget(ctx, s)
	if err != nil {
		return err
	}
	var q url.Values
	if kind == "bucket" {
		q = url.Values{"namespace": {ns}}
	}
	return c.do(ctx, "DELETE", path, q, nil, nil)
}
