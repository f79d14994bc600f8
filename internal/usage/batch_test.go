package usage

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/store"
)

// quotaTable answers quotas by user id: "none" has no quota, "broken"'s
// cannot be read.
type quotaTable struct{}

func (quotaTable) Quota(_ context.Context, cluster string, subject staas.QuotaSubject) (*staas.Quota, error) {
	switch id := strings.TrimPrefix(subject.User().String(), "id "); id {
	case "none":
		return nil, staas.Errorf(staas.ENOTFOUND, "no quota")
	case "broken":
		return nil, errors.New("gateway down")
	default:
		return &staas.Quota{SizeGB: uint64(len(cluster) + len(id))}, nil
	}
}

// TestBatchedFiguresEqualOneByOne: the usage update and usage billing of
// many services read in batches are, service by service, what the
// one-service reads answer: users on two clusters, buckets sampled before
// the period, a deleted bucket, two services of one user, services
// without an S3 user, the same id asked twice.
func TestBatchedFiguresEqualOneByOne(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := ctxFor(t)
		st := openStore(t, b, b.dsn(t))
		month := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		var ids []int64
		users := []string{"u0", "u1", "u2", "none", "broken"}
		for i, u := range users {
			for _, cluster := range []string{"default", "eu"} {
				svc := int64(100 + 10*i + len(cluster))
				ids = append(ids, svc)
				if err := st.SaveS3User(ctx, staas.S3User{ClientID: int64(i + 1), ServiceID: svc, Cluster: cluster, UserID: u,
					Email: fmt.Sprintf("%s-%s@example.com", u, cluster)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// u0's second service on the default cluster.
		if err := st.SaveS3User(ctx, staas.S3User{ClientID: 1, ServiceID: 999, Cluster: "default", UserID: "u0", Email: "u0b@example.com"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, 999, 5555, ids[0], 6666)

		for _, cluster := range []string{"default", "eu"} {
			tx, err := st.BeginUsageObjects(ctx, cluster)
			if err != nil {
				t.Fatal(err)
			}
			add := map[store.UsageCell]store.UsageCounters{}
			for i, u := range users[:3] {
				for _, h := range []time.Time{month.Add(-time.Hour), month.Add(5 * time.Hour), month.Add(40 * time.Hour)} {
					for _, bucket := range []string{"", "a", "b"} {
						add[store.UsageCell{UserID: u, Bucket: bucket, Hour: h.Unix() / 3600}] = store.UsageCounters{
							Put: uint64(i + 1), Get: uint64(len(bucket) + 7), Uploaded: uint64(1000 * (i + 1)), Downloaded: uint64(h.Unix() % 997)}
					}
				}
			}
			if err := tx.Add(ctx, add); err != nil {
				t.Fatal(err)
			}
			if err := tx.CommitObjects(ctx, []store.UsageObjectRecord{{Name: "obj-" + cluster, ServiceID: "1"}}); err != nil {
				t.Fatal(err)
			}
			for k, at := range []time.Time{month.Add(-48 * time.Hour), month.Add(10 * time.Hour), month.Add(30 * time.Hour)} {
				var samples []store.StorageSample
				for i, u := range users[:3] {
					samples = append(samples, store.StorageSample{UserID: u, Bucket: "a", Current: uint64((i + 1) * (k + 1) * 1_000_000)})
					if k < 2 { // b is deleted before the last run
						samples = append(samples, store.StorageSample{UserID: u, Bucket: "b", Current: uint64(len(cluster) * 777)})
					}
				}
				if _, err := st.RecordStorageSamples(ctx, cluster, at, samples); err != nil {
					t.Fatal(err)
				}
			}
		}

		f := &Figures{Reader: &Reader{Store: st}, Services: st, Quotas: quotaTable{}}
		updates, err := f.ServiceUpdates(ctx, ids, month)
		if err != nil {
			t.Fatal(err)
		}
		// Two periods: one past the last sampling run, one ending before
		// it (the current size is still the last run's).
		for _, period := range []BillingPeriod{
			{From: month, To: month.Add(50 * time.Hour), CollectedAt: month.Add(50 * time.Hour)},
			{From: month.Add(-72 * time.Hour), To: month.Add(20 * time.Hour), CollectedAt: month.Add(20 * time.Hour), Final: true},
		} {
			billings, err := f.ServiceBillings(ctx, ids, period)
			if err != nil {
				t.Fatal(err)
			}
			var wantB []*ServiceBilling
			seen := map[int64]bool{}
			for _, id := range ids {
				if seen[id] {
					continue
				}
				seen[id] = true
				bl, err := f.ServiceBilling(ctx, id, period)
				if err != nil {
					t.Fatal(err)
				}
				if bl != nil {
					wantB = append(wantB, bl)
				}
			}
			if len(wantB) != 11 || wantB[0].StorageBytes == 0 || wantB[0].StorageGBMonths == 0 {
				t.Fatalf("the one-by-one billing is not the case meant: %d services, first %+v", len(wantB), wantB[0])
			}
			if !reflect.DeepEqual(billings, wantB) {
				for i := range max(len(billings), len(wantB)) {
					if i >= len(billings) || i >= len(wantB) || !reflect.DeepEqual(billings[i], wantB[i]) {
						t.Errorf("usage billing %d of %s: batched %+v, one by one %+v", i, period.To, at(billings, i), at(wantB, i))
					}
				}
			}
		}
		var wantU []*ServiceUpdate
		seen := map[int64]bool{}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			u, err := f.ServiceUpdate(ctx, id, month)
			if err != nil {
				t.Fatal(err)
			}
			if u != nil {
				wantU = append(wantU, u)
			}
		}
		if len(wantU) != 11 || wantU[0].DownloadedBytes == 0 || wantU[0].StoredBytes == 0 || wantU[0].QuotaGB == 0 || wantU[0].Buckets != 2 {
			t.Fatalf("the one-by-one figures are not the case meant: %d services, first %+v", len(wantU), wantU[0])
		}
		if !reflect.DeepEqual(updates, wantU) {
			for i := range max(len(updates), len(wantU)) {
				if i >= len(updates) || i >= len(wantU) || !reflect.DeepEqual(updates[i], wantU[i]) {
					t.Errorf("usage update %d: batched %+v, one by one %+v", i, at(updates, i), at(wantU, i))
				}
			}
		}
	})
}

func at[T any](s []*T, i int) *T {
	if i < len(s) {
		return s[i]
	}
	return nil
}
