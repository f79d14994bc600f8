package handlers

import (
	"context"
	"slices"
	"strconv"
	"time"

	"staas"
	"staas/internal/provision"
	"staas/internal/usage"
	"staas/views"
)

// UsageFigures are the usage figures the handlers show and WHMCS files
// (*usage.Figures): an S3 user's days and totals for the usage panels,
// and per WHMCS service the usage-update and usage-billing figures.
type UsageFigures interface {
	// UserDaily and UserTotals read an S3 user's figures on its cluster.
	UserDaily(ctx context.Context, cluster, userID string, from, to time.Time) ([]usage.Day, error)
	UserTotals(ctx context.Context, cluster, userID string, from, to time.Time) (*usage.Totals, error)
	// ServiceUpdates and ServiceBillings answer for all of a server's
	// services at once (batched store reads), in the order asked,
	// leaving out the services without an S3 user.
	ServiceUpdates(ctx context.Context, serviceIDs []int64, month time.Time) ([]*usage.ServiceUpdate, error)
	ServiceBillings(ctx context.Context, serviceIDs []int64, p usage.BillingPeriod) ([]*usage.ServiceBilling, error)
}

// UsageSchedule says, for the usage history panel, how often usage is
// collected and bucket sizes sampled: "staas collects usage every 1 h and
// samples bucket sizes every 1 h."
func UsageSchedule(collect, sample time.Duration) string {
	return "staas collects usage every " + views.FormatDuration(collect) + " and samples bucket sizes every " + views.FormatDuration(sample) + "."
}

// usageDays reads the days parameter of the usage history: one of
// views.UsageDays.
func usageDays(s string) (int, error) {
	d, err := strconv.Atoi(s)
	if err != nil || !slices.Contains(views.UsageDays, d) {
		if len(s) > 20 {
			s = s[:20] + "…"
		}
		return 0, staas.Errorf(staas.EINVALID, "The usage history shows the last 30 or 90 days, not %q.", s)
	}
	return d, nil
}

// showUsage turns the usage history on for days.
func (h *adminUI) showUsage(ctx context.Context, a provision.Actor, days int) {
	h.show(ctx, a, views.PanelUsage, panelState{Days: days})
}

// usageVM reads the client's usage over the last days UTC days
// (lastDays). A client without an
// S3 user and a staas without a usage reader get the panel with the
// reason instead of figures.
func (h *adminUI) usageVM(ctx context.Context, a provision.Actor, state panelState) (*views.UsageVM, error) {
	days, err := usageDays(strconv.Itoa(state.Days))
	if err != nil {
		days = views.UsageDays[0]
	}
	vm := lastDays(days, h.now(), h.usageSchedule)
	m, err := h.svc.S3User(ctx, a)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		vm.Unavailable = "This client has no S3 user, so there is no usage to show."
		return vm, nil
	}
	if err != nil {
		return nil, err
	}
	vm.UserID = m.UserID
	if err := fillUsage(ctx, h.usage, m.Cluster, vm); err != nil {
		return nil, err
	}
	return vm, nil
}

// fillUsage reads vm.UserID's days, totals and buckets of [vm.From, vm.To)
// on its cluster.
func fillUsage(ctx context.Context, r UsageFigures, cluster string, vm *views.UsageVM) error {
	daily, err := r.UserDaily(ctx, cluster, vm.UserID, vm.From, vm.To)
	if err != nil {
		return err
	}
	totals, err := r.UserTotals(ctx, cluster, vm.UserID, vm.From, vm.To)
	if err != nil {
		return err
	}
	for _, d := range daily {
		vm.Rows = append(vm.Rows, views.UsageDay{Date: d.Date, Storage: storageFigures(d.Storage), Traffic: traffic(d.Traffic)})
	}
	vm.Total = views.UsageTotal{Storage: storageFigures(totals.Storage), Traffic: traffic(totals.Traffic)}
	for _, b := range totals.Buckets {
		vm.Buckets = append(vm.Buckets, views.UsageBucket{Bucket: b.Bucket, Storage: storageFigures(b.Storage), Traffic: traffic(b.Traffic)})
	}
	return nil
}
