package ecs

import (
	"context"
	"net/url"
	"strings"
	"time"

	"staas"
)

// Purging a bucket on ECS: the management API deletes a bucket with its
// objects (POST /object/bucket/{name}/deactivate?emptyBucket=true, 202
// while it works in the background, the bucket read-only meanwhile), and
// GET …/empty-bucket-status says how far it is. No S3 key of the owner is
// needed, unlike ostor, where staas empties buckets over S3.

// emptyStatus is ECS's empty-bucket-status answer.
type emptyStatus struct {
	Status          string  `json:"status" xml:"status"`
	EntriesDeleted  flexInt `json:"entries_deleted" xml:"entries_deleted"`
	FailedRetention flexInt `json:"failed_to_delete_due_to_retention" xml:"failed_to_delete_due_to_retention"`
	FailedOther     flexInt `json:"failed_to_delete_due_to_other" xml:"failed_to_delete_due_to_other"`
	ApproxObjects   flexInt `json:"approx_object_count" xml:"approx_object_count"`
	Message         string  `json:"message" xml:"message"`
}

func (e *emptyStatus) running() bool {
	switch strings.ToUpper(e.Status) {
	case "PENDING", "IN_PROGRESS", "POST_PROCESSING", "ABORT_IN_PROGRESS":
		return true
	}
	return false
}

func (c *Client) emptyStatus(ctx context.Context, ns, bucket string) (*emptyStatus, error) {
	var st emptyStatus
	err := c.do(ctx, "GET", "/object/bucket/"+esc(bucket)+"/empty-bucket-status", url.Values{"namespace": {ns}}, nil, &st)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return &emptyStatus{Status: "NOT_FOUND"}, nil
	}
	return &st, err
}

// PurgeUserBucket deletes one of the user's buckets with every object in
// it and says how many objects went. A deletion already running (a
// retried terminate) is waited for, not asked again. One still running
// after EmptyWait is a temporary error naming its progress: the bucket
// is read-only meanwhile, and the next try picks it up.
func (c *Client) PurgeUserBucket(ctx context.Context, ref staas.UserRef, bucket string) (int64, error) {
	uid, err := refID(ref)
	if err != nil {
		return 0, err
	}
	if bucket == "" {
		return 0, staas.Errorf(staas.EINVALID, "No bucket was named.")
	}
	ns := c.namespaceOf(uid)
	st, err := c.emptyStatus(ctx, ns, bucket)
	if err != nil {
		return 0, err
	}
	if !st.running() {
		err := c.do(ctx, "POST", "/object/bucket/"+esc(bucket)+"/deactivate", url.Values{"namespace": {ns}, "emptyBucket": {"true"}}, nil, nil)
		if staas.ErrorCode(err) == staas.ENOTFOUND {
			return 0, nil // gone already: an earlier try finished it
		}
		if err != nil {
			return 0, err
		}
	}
	deadline := c.cfg.Now().Add(c.cfg.EmptyWait)
	for {
		st, err := c.emptyStatus(ctx, ns, bucket)
		if err != nil {
			return 0, err
		}
		switch s := strings.ToUpper(st.Status); {
		case s == "DONE" || s == "NOT_FOUND":
			// NOT_FOUND: the bucket was empty and went at once.
			return int64(st.EntriesDeleted), c.deleteLeftBucket(ctx, ns, bucket)
		case st.running():
		default: // FAILED, ABORTED
			msg := st.Message
			if msg == "" {
				msg = "ECS gave no reason"
			}
			return int64(st.EntriesDeleted), staas.Errorf(staas.ECONFLICT,
				"ECS could not empty bucket %s: %s (%d objects deleted, %d kept by retention, %d by other causes).",
				bucket, msg, int64(st.EntriesDeleted), int64(st.FailedRetention), int64(st.FailedOther))
		}
		if !c.cfg.Now().Before(deadline) {
			return int64(st.EntriesDeleted), staas.Errorf(staas.EUNAVAILABLE,
				"ECS is still emptying bucket %s (%d objects deleted, about %d left); it is read-only meanwhile. Try again in a few minutes.",
				bucket, int64(st.EntriesDeleted), int64(st.ApproxObjects))
		}
		t := time.NewTimer(c.cfg.EmptyPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return int64(st.EntriesDeleted), unavailable(ctx.Err(), "Waiting for ECS to empty bucket %s was cut short", bucket)
		case <-t.C:
		}
	}
}

// deleteLeftBucket deletes the bucket if emptying left it in place (ECS's
// API reference implies the deletion follows the emptying but does not say
// so outright; staas makes sure).
func (c *Client) deleteLeftBucket(ctx context.Context, ns, bucket string) error {
	err := c.do(ctx, "GET", "/object/bucket/"+esc(bucket)+"/info", url.Values{"namespace": {ns}}, nil, nil)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	err = c.do(ctx, "POST", "/object/bucket/"+esc(bucket)+"/deactivate", url.Values{"namespace": {ns}}, nil, nil)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil
	}
	return err
}
