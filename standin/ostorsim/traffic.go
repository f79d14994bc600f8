package ostorsim

import (
	"errors"
	"fmt"
	"time"
)

// Traffic is S3 traffic of one user, recorded into the open usage period.
type Traffic struct {
	// Email or UserID names the user who made the requests (one is enough;
	// if both are given they must name the same user).
	Email  string
	UserID string
	// Bucket is the bucket used, "" for user-level operations (list buckets).
	Bucket string
	Tag    string

	Put, Get, List, Other uint64 // operations
	Uploaded, Downloaded  uint64 // bytes
}

func (t Traffic) counters() Counters {
	return Counters{Put: t.Put, Get: t.Get, List: t.List, Other: t.Other, Uploaded: t.Uploaded, Downloaded: t.Downloaded}
}

// AddTraffic records traffic into the open period. With several services,
// successive calls go to the services in turn, so that one (user, bucket)
// can appear in several objects of the same period and a collector has to
// add them up.
func (s *Sim) AddTraffic(t Traffic) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st

	var u *user
	switch {
	case t.UserID != "":
		u = st.users[t.UserID]
		if u != nil && t.Email != "" && u.email != t.Email {
			return fmt.Errorf("ostorsim: user %s is not %q", t.UserID, t.Email)
		}
	case t.Email != "":
		u = st.userByEmail(t.Email)
	default:
		return errors.New("ostorsim: traffic needs Email or UserID")
	}
	if u == nil {
		return fmt.Errorf("%w: %q%q", ErrNoSuchUser, t.Email, t.UserID)
	}
	key := itemKey{bucket: t.Bucket, userID: u.id, tag: t.Tag}
	if t.Bucket != "" {
		b, ok := st.buckets[t.Bucket]
		if !ok {
			return fmt.Errorf("%w: %q", ErrNoSuchBucket, t.Bucket)
		}
		key.epoch = b.epoch
	}
	s.recordTraffic(key, t.counters())
	return nil
}

// recordTraffic adds c to the open period's item key, for the next service
// in turn, and to the ground truth. Caller holds s.mu.
func (s *Sim) recordTraffic(key itemKey, c Counters) {
	if c.isZero() {
		return // ostor writes no item without counts
	}
	us := &s.st.usage
	if us.open == nil {
		us.open = make([]map[itemKey]*Counters, len(s.opts.ServiceIDs))
	}
	i := us.nextService % len(s.opts.ServiceIDs)
	us.nextService++
	if us.open[i] == nil {
		us.open[i] = map[itemKey]*Counters{}
	}
	if us.open[i][key] == nil {
		us.open[i][key] = &Counters{}
	}
	us.open[i][key].add(c)

	tk := UsageKey{UserID: key.userID, Bucket: key.bucket}
	total := us.truth[tk]
	total.add(c)
	us.truth[tk] = total
}

// demoSpan is how much history SeedDemo simulates.
const demoSpan = 24 * time.Hour

// SeedDemo fills a fresh simulator for manual exploration: three customers
// (one disabled, one with a sub-account), buckets whose sizes grow, limits,
// quotas, and a day of traffic, so that every listing has rows. The day is
// the one before the current clock: SeedDemo winds the clock back a day and
// replays it, so the clock ends where it was and a simulator that follows
// real time keeps accepting real Date headers. It fails on a simulator that
// already has buckets or usage, whose history cannot be rewritten.
func (s *Sim) SeedDemo() error {
	type customer struct {
		email   string
		buckets []string
		size    uint64
	}
	customers := []customer{
		{"alice@example.com", []string{"alice-photos", "alice-backup"}, 5 << 30},
		{"bob@example.com", []string{"bob-data"}, 120 << 20},
		{"carol@example.com", []string{"carol-archive"}, 1 << 40},
	}

	s.mu.Lock()
	st := &s.st
	us := &st.usage
	if len(st.buckets) > 0 || len(us.objects) > 0 || len(us.truth) > 0 {
		s.mu.Unlock()
		return errors.New("ostorsim: SeedDemo needs a simulator without buckets or usage")
	}
	for _, c := range customers {
		if st.userByEmail(c.email) != nil {
			s.mu.Unlock()
			return fmt.Errorf("ostorsim: demo user %s already exists", c.email)
		}
	}
	end := st.now
	// Safe only because nothing depends on the clock yet (checked above).
	st.now = end.Add(-demoSpan)
	us.periodStart = st.now
	for _, c := range customers {
		if _, err := st.createUser(c.email, false); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	alice := st.userByEmail("alice@example.com")
	acc := &account{name: "backup-agent"}
	acc.keys = []keyPair{st.newKeyPair(keyOwner{userID: alice.id, account: acc.name})}
	alice.accounts = append(alice.accounts, acc)
	alice.limits.opsCenti = map[string]uint64{"get": 3600 * 100}
	alice.limits.bandwidthOut = 100
	st.userByEmail("bob@example.com").quota = 50
	st.userByEmail("carol@example.com").enabled = false
	st.defaultQuotas["bucket"] = 1000
	s.mu.Unlock()

	for _, c := range customers {
		for _, b := range c.buckets {
			if err := s.CreateBucket(c.email, b); err != nil {
				return err
			}
			if err := s.SetBucketSize(b, c.size); err != nil {
				return err
			}
		}
	}

	// One round of traffic per period; the last lands in the open period.
	steps := int(demoSpan / s.opts.UsagePeriod)
	for step := 0; step <= steps; step++ {
		if step > 0 {
			s.Advance(s.opts.UsagePeriod)
		}
		for _, c := range customers {
			if c.email == "carol@example.com" {
				continue // disabled: no traffic
			}
			s.mu.Lock()
			n := uint64(st.rng.IntN(50) + 1)
			s.mu.Unlock()
			if err := s.AddTraffic(Traffic{Email: c.email, List: 1}); err != nil {
				return err
			}
			for _, b := range c.buckets {
				t := Traffic{Email: c.email, Bucket: b, Put: n, Get: 3 * n, List: n / 2, Other: 1,
					Uploaded: n << 20, Downloaded: 3 * n << 20}
				if err := s.AddTraffic(t); err != nil {
					return err
				}
				if err := s.GrowBucket(b, int64(n<<20)); err != nil {
					return err
				}
			}
		}
	}
	// Back to where the clock was, when the period does not divide a day.
	s.mu.Lock()
	s.advanceTo(end)
	s.mu.Unlock()
	return nil
}
