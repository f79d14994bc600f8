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
	legacy := c.has("ops") || c.has("bandwidth")
	switch {
	case c.method == http.MethodGet:
		if err := c.only(selectors, nil); err != nil {
			return reply{}, err
		}
	case c.method == http.MethodDelete:
		// The older reference resets one type: DELETE …&ops or …&bandwidth.
		if err := c.only(selectors, []string{"ops", "bandwidth"}); err != nil {
			return reply{}, err
		}
		if c.has("ops") && c.has("bandwidth") {
			return reply{}, badRequest("either ops or bandwidth can be set in a single request")
		}
	case c.method == http.MethodPut && legacy:
		return s.putLegacyLimits(c)
	case c.method == http.MethodPut:
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
		switch {
		case c.has("ops"):
			l.opsCenti = nil
		case c.has("bandwidth"):
			l.bandwidthOut = 0
		default:
			*l = limits{}
		}
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

// putLegacyLimits serves the older PUT syntax of the API reference
// (Acronis Storage 2.x, VHI 4.x put-service-ostor-limits):
//
//	PUT ?ostor-limits&bucket=B&ops&default=60&put=3600&list=30
//	PUT ?ostor-limits&emailAddress=E&bandwidth&out=100
//
// ops values are integers in operations per minute; "if [default is] set,
// all unspecified operations limits are set to default, otherwise they are
// set to 0". They are stored, and read back, per second: the reference's
// example reads put=3600 as "60 ops/s" and list=30 as "0.5 ops/s", and its
// GET example answers "0.50". out is an integer in KB/s, default 0.
func (s *Sim) putLegacyLimits(c *call) (reply, error) {
	selectors := []string{"emailAddress", "id", "bucket"}
	if c.has("ops") == c.has("bandwidth") {
		return reply{}, badRequest("either ops or bandwidth can be set in a single request")
	}
	var next limits
	if c.has("ops") {
		if err := c.only(append(selectors, opsResources...), []string{"ops"}); err != nil {
			return reply{}, err
		}
		perMinute := map[string]uint64{}
		for _, res := range opsResources {
			raw, present := c.value(res)
			if !present {
				continue
			}
			n, err := strconv.ParseUint(raw, 10, 64)
			if err != nil || n > maxOpsCenti/100*60 {
				return reply{}, badRequest(fmt.Sprintf("%s %q is not a non-negative integer (operations per minute)", res, raw))
			}
			perMinute[res] = n
		}
		next.opsCenti = map[string]uint64{}
		for _, res := range opsResources {
			v, set := perMinute[res]
			if !set {
				v = perMinute["default"] // 0 when default is not given
			}
			// Hundredths of an operation per second, rounded half up.
			next.opsCenti[res] = (v*100 + 30) / 60
		}
	} else {
		if err := c.only(append(selectors, "out"), []string{"bandwidth"}); err != nil {
			return reply{}, err
		}
		if raw, present := c.value("out"); present {
			n, err := strconv.ParseUint(raw, 10, 64)
			if err != nil {
				return reply{}, badRequest(fmt.Sprintf("out %q is not a non-negative integer (KB/s)", raw))
			}
			next.bandwidthOut = n
		}
	}
	l, err := s.st.selectLimits(c)
	if err != nil {
		return reply{}, err
	}
	if c.has("ops") {
		l.opsCenti = next.opsCenti
	} else {
		l.bandwidthOut = next.bandwidthOut
	}
	return emptyOK(), nil
}
