package ostorsim

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
)

// limits are the six per-user or per-bucket rate limits. Ops values are
// kept in hundredths so that they read back with exactly two decimals;
// 0 means unlimited.
type limits struct {
	opsCenti     map[string]uint64 // by resource
	bandwidthOut uint64
}

var opsResources = []string{"default", "get", "put", "list", "delete"}

// maxOpsCenti bounds an ops limit so that its hundredths stay exact.
const maxOpsCenti = 1 << 53

// limitsJSON keeps the documented key order; encoding/json writes struct
// fields in declaration order.
type limitsJSON struct {
	OpsDefault   string `json:"ops:default"`
	OpsGet       string `json:"ops:get"`
	OpsPut       string `json:"ops:put"`
	OpsList      string `json:"ops:list"`
	OpsDelete    string `json:"ops:delete"`
	BandwidthOut string `json:"bandwidth:out"`
}

func (l *limits) json() limitsJSON {
	ops := func(resource string) string {
		v := l.opsCenti[resource]
		return fmt.Sprintf("%d.%02d", v/100, v%100)
	}
	return limitsJSON{
		OpsDefault:   ops("default"),
		OpsGet:       ops("get"),
		OpsPut:       ops("put"),
		OpsList:      ops("list"),
		OpsDelete:    ops("delete"),
		BandwidthOut: strconv.FormatUint(l.bandwidthOut, 10),
	}
}

// set applies one limit-type/limit-resource/limit-value triple.
func (l *limits) set(limitType, resource, value string) error {
	switch limitType {
	case "ops":
		if !slices.Contains(opsResources, resource) {
			return badRequest(fmt.Sprintf("limit-resource %q is not one of default, get, put, list, delete", resource))
		}
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return badRequest(fmt.Sprintf("limit-value %q is not a non-negative number", value))
		}
		centi := math.Round(f * 100)
		if centi > maxOpsCenti {
			return badRequest(fmt.Sprintf("limit-value %q is too large", value))
		}
		if l.opsCenti == nil {
			l.opsCenti = map[string]uint64{}
		}
		l.opsCenti[resource] = uint64(centi)
	case "bandwidth":
		if resource != "out" {
			return badRequest(fmt.Sprintf("limit-resource %q is not out", resource))
		}
		n, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			return badRequest(fmt.Sprintf("limit-value %q is not a non-negative integer", value))
		}
		l.bandwidthOut = n
	default:
		return badRequest(fmt.Sprintf("limit-type %q is not ops or bandwidth", limitType))
	}
	return nil
}

// selectLimits resolves the user (emailAddress/id) or bucket selector.
func (st *state) selectLimits(c *call) (*limits, error) {
	selectors := 0
	for _, p := range []string{"emailAddress", "id", "bucket"} {
		if c.has(p) {
			selectors++
		}
	}
	if selectors != 1 {
		return nil, badRequest("exactly one of emailAddress, id, bucket is required")
	}
	if name, isBucket := c.value("bucket"); isBucket {
		if _, ok := st.buckets[name]; !ok {
			return nil, notFound("NoSuchBucket", "Bucket not found")
		}
		l := st.bucketLimits[name]
		if l == nil {
			l = &limits{}
			st.bucketLimits[name] = l
		}
		return l, nil
	}
	u, err := st.selectUser(c)
	if err != nil {
		return nil, err
	}
	return &u.limits, nil
}

// ostor-limits: GET, PUT (one value per request), DELETE (all back to 0).
func (s *Sim) handleLimits(c *call) (reply, error) {
	selectors := []string{"emailAddress", "id", "bucket"}
	switch c.method {
	case http.MethodGet, http.MethodDelete:
		if err := c.only(selectors, nil); err != nil {
			return reply{}, err
		}
	case http.MethodPut:
		if err := c.only(append(selectors, "limit-type", "limit-resource", "limit-value"), nil); err != nil {
			return reply{}, err
		}
		for _, p := range []string{"limit-type", "limit-resource", "limit-value"} {
			if !c.has(p) {
				return reply{}, badRequest(p + " is required")
			}
		}
	default:
		return reply{}, methodNotAllowed(c)
	}
	if c.method == http.MethodGet && s.opts.LimitsDisabled {
		return reply{}, badRequest("Limits are disabled")
	}
	l, err := s.st.selectLimits(c)
	if err != nil {
		return reply{}, err
	}
	switch c.method {
	case http.MethodGet:
		return ok(l.json()), nil
	case http.MethodDelete:
		*l = limits{}
		return noContent(), nil
	}
	typ, _ := c.value("limit-type")
	res, _ := c.value("limit-resource")
	val, _ := c.value("limit-value")
	// Validate on a copy so that a refused value changes nothing.
	next := limits{opsCenti: map[string]uint64{}, bandwidthOut: l.bandwidthOut}
	for k, v := range l.opsCenti {
		next.opsCenti[k] = v
	}
	if err := next.set(typ, res, val); err != nil {
		return reply{}, err
	}
	*l = next
	return emptyOK(), nil
}
