package ostorsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// MaxUsageListLimit is the largest (and default) page of ostor-usage names;
// a larger limit is served as this one.
const MaxUsageListLimit = 1000

// usageNameTimeFormat is the start time inside a usage object's name.
const usageNameTimeFormat = "2006-01-02T15:04:05.000Z"

// Counters are the traffic counters of one usage item.
type Counters struct {
	Put, Get, List, Other uint64 // operations
	Uploaded, Downloaded  uint64 // bytes
}

func (c *Counters) add(o Counters) {
	c.Put += o.Put
	c.Get += o.Get
	c.List += o.List
	c.Other += o.Other
	c.Uploaded += o.Uploaded
	c.Downloaded += o.Downloaded
}

func (c Counters) isZero() bool { return c == Counters{} }

// UsageKey identifies a ground-truth total: who (user id) used which
// bucket ("" for user-level operations such as listing buckets).
type UsageKey struct {
	UserID string
	Bucket string
}

// itemKey is the key of one item of a usage object.
type itemKey struct {
	bucket string
	epoch  uint64
	userID string
	tag    string
}

type usageState struct {
	periodStart time.Time
	open        []map[itemKey]*Counters // per service, the period being collected
	nextService int                     // round robin over services
	objects     map[string][]byte       // stored objects by name
	truth       map[UsageKey]Counters
}

func (u *usageState) init(start time.Time) {
	u.periodStart = start
	u.objects = map[string][]byte{}
	u.truth = map[UsageKey]Counters{}
}

type (
	usageObjectJSON struct {
		FmtVersion int             `json:"fmt_version"`
		ServiceID  any             `json:"service_id"` // json.Number (every digit kept) or string
		StartTS    int64           `json:"start_ts"`
		Period     int64           `json:"period"`
		NrItems    int             `json:"nr_items"`
		Items      []usageItemJSON `json:"items"`
	}
	usageItemJSON struct {
		Key      usageKeyJSON      `json:"key"`
		Counters usageCountersJSON `json:"counters"`
	}
	usageKeyJSON struct {
		Bucket string `json:"bucket"`
		Epoch  uint64 `json:"epoch"`
		UserID string `json:"user_id"`
		Tag    string `json:"tag"`
	}
	usageCountersJSON struct {
		Ops struct {
			Put   uint64 `json:"put"`
			Get   uint64 `json:"get"`
			List  uint64 `json:"list"`
			Other uint64 `json:"other"`
		} `json:"ops"`
		NetIO struct {
			Uploaded   uint64 `json:"uploaded"`
			Downloaded uint64 `json:"downloaded"`
		} `json:"net_io"`
	}
	usageListJSON struct {
		NrItems   int      `json:"nr_items"`
		Truncated bool     `json:"truncated"`
		Items     []string `json:"items"`
	}
)

// UsageObjectName is the name ostor gives the object of a service's period.
func UsageObjectName(serviceID string, start time.Time, period time.Duration) string {
	return fmt.Sprintf("s3-usage-%s-%s-%d", serviceID, start.UTC().Format(usageNameTimeFormat), int64(period/time.Second))
}

// closePeriod writes the objects of the period ending at end and opens the
// next one. Caller holds s.mu.
func (s *Sim) closePeriod(end time.Time) {
	u := &s.st.usage
	start := u.periodStart
	for i, sid := range s.opts.ServiceIDs {
		var counters map[itemKey]*Counters
		if i < len(u.open) {
			counters = u.open[i]
		}
		if len(counters) == 0 && !s.opts.EmptyUsageObjects {
			continue
		}
		var id any = json.Number(sid)
		if s.opts.ServiceIDAsString {
			id = sid
		}
		obj := usageObjectJSON{
			FmtVersion: 1,
			ServiceID:  id,
			StartTS:    start.Unix(),
			Period:     int64(s.opts.UsagePeriod / time.Second),
			Items:      []usageItemJSON{},
		}
		keys := make([]itemKey, 0, len(counters))
		for k := range counters {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b itemKey) int {
			return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.epoch, b.epoch),
				cmp.Compare(a.userID, b.userID), cmp.Compare(a.tag, b.tag))
		})
		for _, k := range keys {
			c := counters[k]
			var item usageItemJSON
			item.Key = usageKeyJSON{Bucket: k.bucket, Epoch: k.epoch, UserID: k.userID, Tag: k.tag}
			item.Counters.Ops.Put, item.Counters.Ops.Get = c.Put, c.Get
			item.Counters.Ops.List, item.Counters.Ops.Other = c.List, c.Other
			item.Counters.NetIO.Uploaded, item.Counters.NetIO.Downloaded = c.Uploaded, c.Downloaded
			obj.Items = append(obj.Items, item)
		}
		obj.NrItems = len(obj.Items)
		raw, err := encodeJSON(obj)
		if err != nil {
			panic(err) // only plain values: cannot fail
		}
		u.objects[UsageObjectName(sid, start, s.opts.UsagePeriod)] = raw
	}
	u.open = nil
	u.periodStart = end
}

// PutUsageObject stores raw bytes as a usage object, replacing any object of
// that name: for tests that need a hand-made, broken or huge object.
func (s *Sim) PutUsageObject(name string, raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.usage.objects[name] = append([]byte{}, raw...)
}

// UsageObjectNames returns the names of the stored usage objects, sorted.
func (s *Sim) UsageObjectNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.usage.sortedNames()
}

// UsageGroundTruth returns the totals of all traffic ever added, per user
// id and bucket, whether or not its period has closed or its object has
// been deleted: what an exactly-once collector must end up with.
func (s *Sim) UsageGroundTruth() map[UsageKey]Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[UsageKey]Counters, len(s.st.usage.truth))
	for k, v := range s.st.usage.truth {
		out[k] = v
	}
	return out
}

func (u *usageState) sortedNames() []string {
	names := make([]string, 0, len(u.objects))
	for name := range u.objects {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// ostor-usage: list names (after, limit), read or delete one object (obj).
func (s *Sim) handleUsage(c *call) (reply, error) {
	u := &s.st.usage
	switch c.method {
	case http.MethodGet:
		if err := c.only([]string{"obj", "after", "limit"}, nil); err != nil {
			return reply{}, err
		}
		if name, one := c.value("obj"); one {
			// A public client sends limit with every call, obj included;
			// the reference forbids no combination, so paging parameters
			// next to obj are checked and ignored.
			if _, err := usageLimit(c); err != nil {
				return reply{}, err
			}
			raw, found := u.objects[name]
			if !found {
				return reply{}, notFound("NoSuchKey", "Statistics object not found")
			}
			return rawJSON(raw), nil
		}
		return s.listUsage(c)
	case http.MethodDelete:
		if err := c.only([]string{"obj"}, nil); err != nil {
			return reply{}, err
		}
		name, present := c.value("obj")
		if !present {
			return reply{}, badRequest("obj is required")
		}
		if _, found := u.objects[name]; !found {
			return reply{}, notFound("NoSuchKey", "Statistics object not found")
		}
		delete(u.objects, name)
		return noContent(), nil
	}
	return reply{}, methodNotAllowed(c)
}

// usageLimit reads the limit parameter: a positive integer; a page holds
// at most MaxUsageListLimit names whatever was asked (the reference states
// no maximum, so a larger limit is served as the largest page rather than
// refused).
func usageLimit(c *call) (int, error) {
	raw, present := c.value("limit")
	if !present {
		return MaxUsageListLimit, nil
	}
	n, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || n < 1 {
		return 0, badRequest(fmt.Sprintf("limit %q is not a positive integer", raw))
	}
	return int(min(n, MaxUsageListLimit)), nil
}

func (s *Sim) listUsage(c *call) (reply, error) {
	limit, err := usageLimit(c)
	if err != nil {
		return reply{}, err
	}
	names := s.st.usage.sortedNames()
	if after, present := c.value("after"); present {
		i, found := slices.BinarySearch(names, after)
		if found {
			i++ // the name given is excluded
		}
		names = names[i:]
	}
	out := usageListJSON{Items: names}
	if len(names) > limit {
		out.Items, out.Truncated = names[:limit], true
	}
	out.NrItems = len(out.Items)
	return ok(out), nil
}
