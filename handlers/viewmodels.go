package handlers

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"time"

	"staas"
	"staas/internal/provision"
	"staas/internal/usage"
	"staas/views"
)

// The view-model builders: what the services answer, turned into what
// the views render. Every builder of the admin panels, the services tab
// and the client area is here; the handlers read, call one of these and
// render.

// maskedSecretShown is how many leading characters of a masked secret
// show.
const maskedSecretShown = 4

// confirmVM is the pending confirmation's box; nil when none is pending.
func confirmVM(c *pendingConfirm) *views.ConfirmVM {
	if c == nil {
		return &views.ConfirmVM{Params: map[string]string{}}
	}
	params := make(map[string]string, len(c.Params))
	for k, v := range c.Params {
		params[k] = v
	}
	return &views.ConfirmVM{Action: c.Action, Question: c.Question, Params: params,
		TypeToConfirm: c.TypeToConfirm, Error: c.Error, At: c.At}
}

// limitsForm is a limits form as kept after a failed submit; empty
// without one.
func limitsForm(s panelState) views.LimitsForm {
	return views.LimitsForm{OpsName: s.input("ops-name"), OpsValue: s.input("ops-value"),
		BandwidthName: s.input("bandwidth-name"), BandwidthValue: s.input("bandwidth-value"),
		Bucket: s.input("bucket"), Errors: s.fieldErrors()}
}

// clusterVM fills the links' cluster parts: Create User's choice of
// cluster (the default chosen, or the admin's last choice kept with its
// error), and the client's S3 user's cluster (mapped; "" is the default)
// with what its storage lacks, so the forms offer only what works.
func clusterVM(vm *views.LinksVM, kept panelState, p *provision.AdminPanel, mapped string) {
	names, def := p.Clusters()
	vm.Clusters = names
	vm.Create = views.CreateForm{Cluster: def, Errors: kept.fieldErrors()}
	if c := kept.input(views.FieldCluster); slices.Contains(names, c) {
		vm.Create.Cluster = c
	}
	if mapped == "" {
		mapped = def
	}
	caps := p.Capabilities(mapped)
	vm.Cluster = mapped
	vm.Unsupported = views.Unsupported{OpsLimits: !caps.OpsLimits, BandwidthLimits: !caps.BandwidthLimits, Statistics: !caps.Statistics}
}

func usersVM(p *provision.UserPage, q string, page int) *views.UsersVM {
	vm := &views.UsersVM{Cluster: p.Cluster, Query: q, Page: page, PageSize: usersPageSize, Total: p.Total}
	for _, u := range p.Users {
		vm.Rows = append(vm.Rows, views.UserRow{UserID: u.ID, Email: u.Email, State: u.State})
	}
	return vm
}

func userVM(u *staas.StorageUser, cluster, reveal string) *views.UserVM {
	return &views.UserVM{UserID: u.ID, Cluster: cluster, Email: u.Email, State: u.State, Flags: u.Flags, Keys: keyRows(u.Keys, reveal)}
}

// maskSecret shows the first characters of a secret so an admin can tell
// two apart, and nothing an attacker could use.
func maskSecret(s string) string {
	if len(s) <= maskedSecretShown {
		return "••••••••"
	}
	return s[:maskedSecretShown] + "••••••••••••"
}

// bucketsVM is page (from 1, clamped to the pages there are) of the
// buckets in the gateway's order, with the totals of them all.
func bucketsVM(buckets []staas.Bucket, page int) *views.BucketsVM {
	last := max(1, (len(buckets)+bucketsPageSize-1)/bucketsPageSize)
	page = min(max(page, 1), last)
	from := (page - 1) * bucketsPageSize
	rows, _ := bucketRows(buckets[from:min(from+bucketsPageSize, len(buckets))])
	vm := &views.BucketsVM{Page: page, PageSize: bucketsPageSize, Total: len(buckets), Rows: rows}
	for _, b := range buckets {
		vm.TotalBytes += b.Size.Current
	}
	return vm
}

// bucketRows are the rows of buckets, and their sizes together.
func bucketRows(buckets []staas.Bucket) ([]views.BucketRow, uint64) {
	var rows []views.BucketRow
	var total uint64
	for _, b := range buckets {
		rows = append(rows, views.BucketRow{Name: b.Name, Bytes: b.Size.Current, CreatedAt: b.CreationDate})
		total += b.Size.Current
	}
	return rows, total
}

func statsVM(l *staas.UsageList, after string) *views.StatsVM {
	vm := &views.StatsVM{After: after, Items: l.Items}
	if l.Truncated && len(l.Items) > 0 {
		vm.Next = l.Items[len(l.Items)-1]
	}
	return vm
}

func limitsVM(bucket string, l *staas.Limits) *views.LimitsVM {
	vm := &views.LimitsVM{Bucket: bucket}
	ops := []struct {
		name string
		v    float64
	}{{"default", l.OpsDefault}, {"get", l.OpsGet}, {"put", l.OpsPut}, {"list", l.OpsList}, {"delete", l.OpsDelete}}
	for _, o := range ops {
		if o.v != 0 {
			vm.Rows = append(vm.Rows, views.LimitRow{Type: "ops", Name: o.name, Value: views.FormatNumber(o.v) + " ops/s"})
		}
	}
	if l.BandwidthOut != 0 {
		vm.Rows = append(vm.Rows, views.LimitRow{Type: "bandwidth", Name: "out", Value: views.FormatCount(l.BandwidthOut) + " KB/s"})
	}
	return vm
}

// objectVM is a statistics object's panel: the items of the client's S3
// users (users), or every item when all.
func objectVM(name string, o *staas.UsageObject, users []string, all bool) *views.ObjectVM {
	vm := &views.ObjectVM{Name: name, FmtVersion: o.FmtVersion, ServiceID: o.ServiceID,
		StartTS: o.StartTS, Period: o.Period, TotalRows: len(o.Items), All: all}
	for _, it := range o.Items {
		mine := slices.Contains(users, it.Key.UserID)
		if mine {
			vm.ClientRows++
		}
		if (!all && !mine) || len(vm.Rows) == maxObjectRows {
			continue
		}
		vm.Rows = append(vm.Rows, views.ObjectRow{Bucket: it.Key.Bucket, Epoch: it.Key.Epoch, UserID: it.Key.UserID, Tag: it.Key.Tag,
			Put: it.Ops.Put, Get: it.Ops.Get, List: it.Ops.List, Other: it.Ops.Other, Uploaded: it.Uploaded, Downloaded: it.Downloaded})
	}
	return vm
}

func quotasVM(q *provision.Quotas) *views.QuotasVM {
	vm := &views.QuotasVM{}
	if q.User != nil {
		vm.User = views.QuotaRow{SizeGB: q.User.SizeGB, Set: true}
	}
	for _, name := range q.Names {
		row := views.QuotaRow{Bucket: name}
		if bq := q.Buckets[name]; bq != nil {
			row.SizeGB, row.Set = bq.SizeGB, true
		}
		vm.Buckets = append(vm.Buckets, row)
	}
	return vm
}

// keyRows are the key pairs of a service with secrets masked, but the one
// named by reveal, shown in full.
func keyRows(keys []staas.KeyPair, reveal string) []views.KeyRow {
	rows := make([]views.KeyRow, 0, len(keys))
	for _, k := range keys {
		row := views.KeyRow{AccessKeyID: k.AccessKeyID, Ref: k.Ref(), Secret: maskSecret(k.SecretAccessKey)}
		if k.KeyID != "" {
			row.KeyLabel = fmt.Sprintf("key %.8s", k.KeyID)
		}
		if reveal != "" && k.Ref() == reveal {
			row.Secret, row.Revealed = k.SecretAccessKey, true
		}
		rows = append(rows, row)
	}
	return rows
}

// lastDays is the usage history's period of the last days UTC days, today
// included: [midnight days-1 days ago, next midnight); fillUsage reads
// its figures.
func lastDays(days int, now time.Time, schedule string) *views.UsageVM {
	today := now.UTC().Truncate(24 * time.Hour)
	return &views.UsageVM{Days: days, From: today.AddDate(0, 0, 1-days), To: today.AddDate(0, 0, 1), Schedule: schedule}
}

func traffic(c usage.Traffic) views.Traffic {
	return views.Traffic{Put: c.Put, Get: c.Get, List: c.List, Other: c.Other, Uploaded: c.Uploaded, Downloaded: c.Downloaded}
}

// storageFigures turns the reader's storage into the panel's: the
// time-weighted average is the exact byte-seconds over the seconds the
// samples cover.
func storageFigures(s usage.Storage) views.StorageFigures {
	f := views.StorageFigures{PeakBytes: s.PeakBytes, PeakAt: s.PeakAt, Sampled: s.Covered, GBHours: s.GBHours, GBMonths: s.GBMonths}
	if secs := int64(s.Covered / time.Second); secs > 0 && s.ByteSeconds != nil {
		avg := new(big.Int).Quo(s.ByteSeconds, big.NewInt(secs))
		if avg.IsUint64() {
			f.AverageBytes = avg.Uint64()
		}
	} else {
		f.Sampled = 0
	}
	return f
}

// pendingVM is the client's pending work: the client events staas queued
// or that failed, and WHMCS's Module Queue for staas's services; nil when
// nothing waits. A part that cannot be read says so in its place.
func (h *adminUI) pendingVM(ctx context.Context, a provision.Actor) *views.PendingVM {
	var p views.PendingVM
	intents, err := h.svc.PendingWork(ctx, a)
	if err != nil {
		p.IntentsError = "staas's queued work could not be read: " + staas.ErrorMessage(err)
		h.log.Warn("pending work not shown", "client", a.ClientID, "err", staas.ErrorDetail(err))
	}
	for _, in := range intents {
		row := views.PendingIntent{ID: in.ID, What: provision.IntentWhat(in), Since: in.CreatedAt, Attempts: in.Attempts,
			LastError: in.LastError, Failed: in.State == staas.IntentFailed}
		if !row.Failed {
			row.NextTry = in.NextAttemptAt
		}
		p.Intents = append(p.Intents, row)
	}
	queue, err := h.svc.ModuleQueue(ctx, a)
	if err != nil {
		p.QueueError = "WHMCS's Module Queue could not be read: " + staas.ErrorMessage(err)
		h.log.Warn("module queue not shown", "client", a.ClientID, "err", staas.ErrorDetail(err))
	}
	for _, q := range queue {
		p.Queue = append(p.Queue, views.ModuleQueueRow{ServiceID: q.ServiceID, Action: q.Action, LastAttempt: q.LastAttempt,
			Error: q.LastError, Attempts: q.Attempts})
	}
	if len(p.Intents) == 0 && len(p.Queue) == 0 && p.IntentsError == "" && p.QueueError == "" {
		return nil
	}
	return &p
}
