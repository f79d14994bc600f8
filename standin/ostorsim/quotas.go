package ostorsim

import (
	"fmt"
	"net/http"
	"strconv"
)

// quotaJSON is the documented GET ostor-quotas answer; size is in GB.
type quotaJSON struct {
	Version string `json:"version"`
	Type    string `json:"type"`
	Size    string `json:"size"`
}

// quotaTarget is where a quota selector points: a user, a bucket, or one of
// the two defaults.
type quotaTarget struct {
	kind string // "user" or "bucket"
	size *uint64
}

// selectQuota resolves emailAddress, id, bucket or default=user|bucket.
// Bucket quotas live outside the bucket so that reading one never set needs
// no entry; deleting the bucket drops it.
func (st *state) selectQuota(c *call) (quotaTarget, error) {
	selectors := 0
	for _, p := range []string{"emailAddress", "id", "bucket", "default"} {
		if c.has(p) {
			selectors++
		}
	}
	if selectors != 1 {
		return quotaTarget{}, badRequest("exactly one of emailAddress, id, bucket, default is required")
	}
	if kind, isDefault := c.value("default"); isDefault {
		if kind != "user" && kind != "bucket" {
			return quotaTarget{}, badRequest(fmt.Sprintf("default %q is not user or bucket", kind))
		}
		v := st.defaultQuotas[kind]
		return quotaTarget{kind: kind, size: &v}, nil
	}
	if name, isBucket := c.value("bucket"); isBucket {
		if _, ok := st.buckets[name]; !ok {
			return quotaTarget{}, notFound("NoSuchBucket", "Bucket not found")
		}
		v := st.bucketQuotas[name]
		return quotaTarget{kind: "bucket", size: &v}, nil
	}
	u, err := st.selectUser(c)
	if err != nil {
		return quotaTarget{}, err
	}
	return quotaTarget{kind: "user", size: &u.quota}, nil
}

// storeQuota writes a target's size back where it came from.
func (st *state) storeQuota(c *call, t quotaTarget) {
	if kind, isDefault := c.value("default"); isDefault {
		st.defaultQuotas[kind] = *t.size
		return
	}
	if name, isBucket := c.value("bucket"); isBucket {
		st.bucketQuotas[name] = *t.size
	}
	// A user's quota was addressed in place.
}

// ostor-quotas: GET, PUT quota-size=G (GB, 0 = unlimited), DELETE.
func (s *Sim) handleQuotas(c *call) (reply, error) {
	selectors := []string{"emailAddress", "id", "bucket", "default"}
	switch c.method {
	case http.MethodGet, http.MethodDelete:
		if err := c.only(selectors, nil); err != nil {
			return reply{}, err
		}
	case http.MethodPut:
		// The reference's own first example sends a stray "ops" flag
		// (PUT /?ostor-quotas&emailAddress=user1@email.com&ops&quota-size=1024,
		// put-service-ostor-quotas 4.7 to 6.3); it is taken and ignored.
		if err := c.only(append(selectors, "quota-size"), []string{"ops"}); err != nil {
			return reply{}, err
		}
		if !c.has("quota-size") {
			return reply{}, badRequest("quota-size is required")
		}
	default:
		return reply{}, methodNotAllowed(c)
	}
	t, err := s.st.selectQuota(c)
	if err != nil {
		return reply{}, err
	}
	switch c.method {
	case http.MethodGet:
		return ok(quotaJSON{Version: "1", Type: t.kind, Size: strconv.FormatUint(*t.size, 10)}), nil
	case http.MethodDelete:
		*t.size = 0
		s.st.storeQuota(c, t)
		return noContent(), nil
	}
	raw, _ := c.value("quota-size")
	size, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return reply{}, badRequest(fmt.Sprintf("quota-size %q is not a non-negative integer", raw))
	}
	*t.size = size
	s.st.storeQuota(c, t)
	return emptyOK(), nil
}
