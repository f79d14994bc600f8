// Package reconcile compares, per cluster, what WHMCS says of each mapped
// service and client with the S3 user's state on the gateway (issue 14).
// It converges only what is safe — it disables a user whose service WHMCS
// has suspended or whose client is closed — and reports everything else
// (a terminated service's user still there, a gateway user no mapping
// knows, an Active service whose user is disabled) for an admin. It
// covers events lost while staas was down. It never deletes, and enables
// a user again (WHMCS says Active) only when the user's last audit row is
// its own disable.
package reconcile

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"staas"
	"staas/internal/schedule"
)

// WHMCS is what the reconciler reads of WHMCS, in bulk: each service's
// tblhosting.domainstatus and each client's tblclients.status. An id
// WHMCS does not know is absent from the map.
type WHMCS interface {
	ServiceStatuses(ctx context.Context, serviceIDs []int64) (map[int64]string, error)
	ClientStatuses(ctx context.Context, clientIDs []int64) (map[int64]string, error)
}

// Quotas is what WHMCS says of each service's quota: its product's
// "User quota (GB)" setting as WHMCS keeps it ("" or "0": none). A WHMCS
// that has it (whmcs.DBBridge) gets the quotas re-applied.
type Quotas interface {
	ServiceQuotas(ctx context.Context, serviceIDs []int64) (map[int64]string, error)
}

// Mappings are staas's own S3 user mappings (*store.Store).
type Mappings interface {
	S3UsersOfCluster(ctx context.Context, cluster string, isDefault bool) ([]staas.S3User, error)
}

// Audit records what the reconciler did and tells it what was done last
// to a user (*store.Store).
type Audit interface {
	AddAudit(ctx context.Context, e staas.AuditEntry) (int64, error)
	// Audit returns the entries f selects, newest first.
	Audit(ctx context.Context, f staas.AuditFilter) ([]staas.AuditEntry, error)
}

// Backend is what the reconciler needs of one cluster's storage
// (provision.Backend has it).
type Backend interface {
	Users(ctx context.Context) ([]staas.StorageUser, error)
	DisableUser(ctx context.Context, email string) error
	EnableUser(ctx context.Context, email string) error
	Quota(ctx context.Context, subject staas.QuotaSubject) (*staas.Quota, error)
	SetQuota(ctx context.Context, subject staas.QuotaSubject, gb uint64) error
	DeleteQuota(ctx context.Context, subject staas.QuotaSubject) error
	BucketsOf(ctx context.Context, ref staas.UserRef) ([]staas.Bucket, error)
}

// Drift kinds.
const (
	KindSuspendedEnabled  = "suspended-but-enabled"  // converged: disabled
	KindClosedEnabled     = "client-closed-enabled"  // converged: disabled
	KindTerminatedExists  = "terminated-user-exists" // reported only
	KindActiveDisabled    = "active-but-disabled"    // reported only
	KindUnknownUser       = "gateway-user-unmapped"  // reported only
	KindMissingUser       = "mapped-user-missing"    // reported only
	KindServiceUnknown    = "service-unknown"        // reported only
	KindClientUnknown     = "client-unknown"         // reported only
	KindQuotaDiffers      = "quota-differs"          // converged: the product's quota re-applied
	AuditActionQuota      = "reconcile-quota"
	ActionReportedOnly    = "reported only"
	ActionDisabled        = "disabled"
	ActionWouldDisable    = "would disable (dry run)"
	AuditActionReconcile  = "reconcile-disable"
	AuditActionReenable   = "reconcile-enable"
	ActionEnabled         = "enabled (staas had disabled it)"
	ActionWouldEnable     = "would enable (dry run; staas had disabled it)"
	leaseTTL              = 10 * time.Minute
	statusActive          = "Active"
	statusSuspended       = "Suspended"
	statusClosed          = "Closed"
	clientLevelServiceID  = 0
	defaultActionFailedAs = "failed: "
)

// Item is one drift found.
type Item struct {
	Kind      string
	ServiceID int64 // 0 for a client-level user or an unmapped one
	ClientID  int64
	Cluster   string
	UserID    string
	Email     string
	WHMCS     string // what WHMCS says ("Suspended", "client Closed", "none", …)
	Gateway   string // what the gateway says ("enabled", "disabled, 2 buckets", "absent", …)
	Action    string // ActionDisabled, ActionWouldDisable, ActionReportedOnly or "failed: …"
}

// Line is the item as an admin reads it.
func (i Item) Line() string {
	who := fmt.Sprintf("user %s (%s)", i.UserID, i.Email)
	if i.ServiceID != 0 {
		who = fmt.Sprintf("service %d, %s", i.ServiceID, who)
	} else if i.ClientID != 0 {
		who = fmt.Sprintf("client-level %s", who)
	}
	client := ""
	if i.ClientID != 0 {
		client = fmt.Sprintf(" client %d,", i.ClientID)
	}
	return fmt.Sprintf("cluster %s:%s %s: %s; WHMCS says %s, the gateway says %s: %s", i.Cluster, client, who, i.Kind, i.WHMCS, i.Gateway, i.Action)
}

// Report is one run's findings on one cluster.
type Report struct {
	Cluster string
	DryRun  bool
	Checked int // mapped users compared
	Items   []Item
	// Counts are the items by kind.
	Counts map[string]int
	// Unchecked says what could not be checked; non-empty means the run
	// is incomplete.
	Unchecked []string
	// Held names the replica holding the lease when this one skipped.
	Held string
}

// Converged counts the items acted on (users disabled or enabled).
func (r Report) Converged() int {
	n := 0
	for _, i := range r.Items {
		if i.Action == ActionDisabled || i.Action == ActionEnabled || strings.HasPrefix(i.Action, "quota set") || i.Action == actionQuotaRemoved {
			n++
		}
	}
	return n
}

// Failed counts the items whose disable, enable or quota the gateway (or
// the audit log) refused: left as they were, for an admin to see.
func (r Report) Failed() int {
	n := 0
	for _, i := range r.Items {
		if strings.HasPrefix(i.Action, defaultActionFailedAs) {
			n++
		}
	}
	return n
}

// Reconciler reconciles one cluster.
type Reconciler struct {
	Cluster   string
	IsDefault bool // the registry's default cluster: mappings naming "" are its
	Backend   Backend
	WHMCS     WHMCS
	Mappings  Mappings
	Audit     Audit
	// Leases, when set, keep two replicas from reconciling one cluster
	// at once (lease "reconcile:<cluster>").
	Leases schedule.Leases
	Owner  string
	// Ignore are gateway users' emails that are nobody's service (the
	// cluster's own system or admin users): never reported as unmapped.
	// A user flagged "system" by the backend is ignored too.
	Ignore []string
	Log    *slog.Logger
	Now    func() time.Time
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// LeaseName is the lease of a cluster's reconciler.
func LeaseName(cluster string) string { return "reconcile:" + cluster }

// Run compares and, unless dryRun, converges. An error means nothing
// could be compared (WHMCS, the store or the gateway's user list failed,
// or the lease could not be taken); what failed for one user only is in
// Report.Unchecked.
func (r *Reconciler) Run(ctx context.Context, dryRun bool) (Report, error) {
	rep := Report{Cluster: r.Cluster, DryRun: dryRun, Counts: map[string]int{}}
	if r.Leases != nil && !dryRun {
		owner := r.Owner
		if owner == "" {
			owner = schedule.Owner()
		}
		runCtx, release, holder, err := schedule.Lease{Store: r.Leases, Name: LeaseName(r.Cluster), Owner: owner, TTL: leaseTTL, Log: r.Log}.Hold(ctx)
		if err != nil {
			return rep, err
		}
		if release == nil {
			rep.Held = holder
			return rep, nil
		}
		defer release()
		ctx = runCtx
	}
	mapped, err := r.Mappings.S3UsersOfCluster(ctx, r.Cluster, r.IsDefault)
	if err != nil {
		return rep, err
	}
	onGateway, err := r.Backend.Users(ctx)
	if err != nil {
		return rep, err
	}
	var serviceIDs, clientIDs []int64
	seenClient := map[int64]bool{}
	for _, m := range mapped {
		if m.ServiceID != 0 {
			serviceIDs = append(serviceIDs, m.ServiceID)
		}
		if !seenClient[m.ClientID] {
			seenClient[m.ClientID] = true
			clientIDs = append(clientIDs, m.ClientID)
		}
	}
	services, err := r.WHMCS.ServiceStatuses(ctx, serviceIDs)
	if err != nil {
		return rep, err
	}
	clients, err := r.WHMCS.ClientStatuses(ctx, clientIDs)
	if err != nil {
		return rep, err
	}
	var quotas map[int64]string
	if q, ok := r.WHMCS.(Quotas); ok {
		if quotas, err = q.ServiceQuotas(ctx, serviceIDs); err != nil {
			return rep, err
		}
	}
	byID := map[string]*staas.StorageUser{}
	byEmail := map[string]*staas.StorageUser{}
	for i := range onGateway {
		u := &onGateway[i]
		byID[u.ID] = u
		byEmail[strings.ToLower(u.Email)] = u
	}
	known := map[*staas.StorageUser]bool{}
	for _, m := range mapped {
		rep.Checked++
		u := byID[m.UserID]
		if u == nil {
			u = byEmail[strings.ToLower(m.Email)]
		}
		if u != nil {
			known[u] = true
		}
		if it, ok := r.compare(ctx, m, u, services, clients, dryRun, &rep); ok {
			rep.Items = append(rep.Items, it)
		}
		if q, ok := quotas[m.ServiceID]; ok && u != nil && m.OrphanedAt.IsZero() && (services[m.ServiceID] == statusActive || services[m.ServiceID] == statusSuspended) {
			if it, ok := r.quota(ctx, m, u, q, dryRun, &rep); ok {
				rep.Items = append(rep.Items, it)
			}
		}
	}
	for i := range onGateway {
		u := &onGateway[i]
		if known[u] || r.ignored(u) {
			continue
		}
		rep.Items = append(rep.Items, Item{Kind: KindUnknownUser, Cluster: r.Cluster, UserID: u.ID, Email: u.Email,
			WHMCS: "no service or client maps it", Gateway: r.gatewayState(ctx, u, &rep), Action: ActionReportedOnly})
	}
	sort.SliceStable(rep.Items, func(a, b int) bool {
		x, y := rep.Items[a], rep.Items[b]
		if x.ClientID != y.ClientID {
			return x.ClientID < y.ClientID
		}
		if x.ServiceID != y.ServiceID {
			return x.ServiceID < y.ServiceID
		}
		return x.UserID < y.UserID
	})
	for _, it := range rep.Items {
		rep.Counts[it.Kind]++
	}
	return rep, nil
}

func (r *Reconciler) ignored(u *staas.StorageUser) bool {
	for _, f := range u.Flags {
		if strings.EqualFold(f, "system") {
			return true
		}
	}
	for _, e := range r.Ignore {
		if strings.EqualFold(e, u.Email) {
			return true
		}
	}
	return false
}

// gatewayState describes a user for a report, with its bucket count.
func (r *Reconciler) gatewayState(ctx context.Context, u *staas.StorageUser, rep *Report) string {
	bs, err := r.Backend.BucketsOf(ctx, staas.ByID(u.ID))
	if err != nil {
		rep.Unchecked = append(rep.Unchecked, fmt.Sprintf("the buckets of user %s (%s): %s", u.ID, u.Email, staas.ErrorMessage(err)))
		return u.State + ", buckets unknown"
	}
	return fmt.Sprintf("%s, %d bucket(s)", u.State, len(bs))
}

func (r *Reconciler) compare(ctx context.Context, m staas.S3User, u *staas.StorageUser, services, clients map[int64]string, dryRun bool, rep *Report) (Item, bool) {
	it := Item{ServiceID: m.ServiceID, ClientID: m.ClientID, Cluster: r.Cluster, UserID: m.UserID, Email: m.Email, Action: ActionReportedOnly}
	client, clientKnown := clients[m.ClientID]
	service, serviceKnown := services[m.ServiceID]
	if m.ServiceID == clientLevelServiceID {
		service, serviceKnown = statusActive, true
	}
	if !m.OrphanedAt.IsZero() {
		// A deleted client's kept user: the daily report lists orphans.
		return it, false
	}
	if u == nil {
		if serviceKnown && (service == "Terminated" || service == "Cancelled") {
			return it, false // gone with its service: as it should be
		}
		it.Kind, it.WHMCS, it.Gateway = KindMissingUser, describeWHMCS(service, serviceKnown, client, clientKnown), "absent"
		return it, true
	}
	it.Gateway = u.State
	it.WHMCS = describeWHMCS(service, serviceKnown, client, clientKnown)
	switch {
	case clientKnown && client == statusClosed && u.Enabled():
		it.Kind = KindClosedEnabled
		r.disable(ctx, m, u, "the client is closed in WHMCS", dryRun, &it)
		return it, true
	case !clientKnown:
		it.Kind = KindClientUnknown
		it.Gateway = r.gatewayState(ctx, u, rep)
		return it, true
	case !serviceKnown:
		it.Kind = KindServiceUnknown
		it.Gateway = r.gatewayState(ctx, u, rep)
		return it, true
	case service == statusSuspended && u.Enabled():
		it.Kind = KindSuspendedEnabled
		r.disable(ctx, m, u, "the service is suspended in WHMCS", dryRun, &it)
		return it, true
	case service == "Terminated" || service == "Cancelled":
		it.Kind = KindTerminatedExists
		it.Gateway = r.gatewayState(ctx, u, rep)
		return it, true
	case service == statusActive && client != statusClosed && !u.Enabled():
		it.Kind = KindActiveDisabled
		if r.disabledByUs(ctx, m, rep) {
			r.enable(ctx, m, dryRun, &it)
		}
		return it, true
	}
	return it, false
}

func describeWHMCS(service string, serviceKnown bool, client string, clientKnown bool) string {
	s := "service " + service
	if !serviceKnown {
		s = "no such service"
	}
	if !clientKnown {
		return s + ", no such client"
	}
	if client == statusClosed {
		return s + ", client Closed"
	}
	return s
}

// disable converges one user, with an audit row like provision's for an
// automatic action (actor WHMCS, the client's id). The row is written
// before the gateway is asked: it is what lets the reconciler enable the
// user again later (disabledByUs), so a staas that dies right after the
// gateway's answer must already have left it. A row that cannot be
// written leaves the user as it is, for the next run. A disable the
// gateway refuses gets a second row saying so, which is then the user's
// last.
func (r *Reconciler) disable(ctx context.Context, m staas.S3User, u *staas.StorageUser, why string, dryRun bool, it *Item) {
	if dryRun {
		it.Action = ActionWouldDisable
		return
	}
	entry := staas.AuditEntry{At: r.now().UTC(), ClientID: m.ClientID, Actor: staas.AuditActorWHMCS, Action: AuditActionReconcile,
		Params: map[string]string{"user_id": m.UserID, "service_id": strconv.FormatInt(m.ServiceID, 10), "cluster": r.Cluster},
		Result: "ok", Message: fmt.Sprintf("S3 user %s (%s) is disabled by the reconciler: %s.", m.UserID, m.Email, why)}
	audited := r.Audit != nil && m.ClientID > 0
	if audited {
		if _, aerr := r.Audit.AddAudit(context.WithoutCancel(ctx), entry); aerr != nil {
			it.Action = defaultActionFailedAs + "its audit row could not be written: " + staas.ErrorMessage(aerr)
			r.log().Error("reconcile: audit row not written; the user is left as it is", "cluster", r.Cluster, "user_id", m.UserID, "err", aerr)
			return
		}
	}
	if err := r.Backend.DisableUser(ctx, u.Email); err != nil {
		it.Action = defaultActionFailedAs + staas.ErrorMessage(err)
		r.log().Warn("reconcile: disable failed", "cluster", r.Cluster, "user_id", m.UserID, "err", err)
		if audited {
			entry.At = r.now().UTC()
			entry.Result, entry.Message = string(staas.ErrorCode(err)), fmt.Sprintf("The reconciler could not disable S3 user %s (%s): %s", m.UserID, m.Email, staas.ErrorMessage(err))
			if _, aerr := r.Audit.AddAudit(context.WithoutCancel(ctx), entry); aerr != nil {
				r.log().Error("reconcile: audit row not written", "cluster", r.Cluster, "user_id", m.UserID, "err", aerr)
			}
		}
		return
	}
	it.Action = ActionDisabled
	it.Gateway = "enabled (now disabled)"
	r.log().Info("reconcile: disabled", "cluster", r.Cluster, "user_id", m.UserID, "client", m.ClientID, "service", m.ServiceID, "why", why)
}

// disabledByUs says whether the last thing staas recorded of the user was
// the reconciler disabling it: only then may it enable the user again
// (an admin's or WHMCS's own disable is theirs to undo).
func (r *Reconciler) disabledByUs(ctx context.Context, m staas.S3User, rep *Report) bool {
	if r.Audit == nil || m.ClientID <= 0 {
		return false
	}
	entries, err := r.Audit.Audit(ctx, staas.AuditFilter{ClientID: m.ClientID, Limit: 500})
	if err != nil {
		rep.Unchecked = append(rep.Unchecked, fmt.Sprintf("the audit log of client %d: %s", m.ClientID, staas.ErrorMessage(err)))
		return false
	}
	for _, e := range entries {
		// The reconciler's own quota rows say nothing of who disabled
		// the user: one written after its disable must not hide it.
		if e.Params["user_id"] != m.UserID || e.Action == AuditActionQuota {
			continue
		}
		return e.Action == AuditActionReconcile && e.Result == "ok"
	}
	return false
}

// enable undoes the reconciler's own disable of a user whose service is
// Active again, with its audit row.
func (r *Reconciler) enable(ctx context.Context, m staas.S3User, dryRun bool, it *Item) {
	if dryRun {
		it.Action = ActionWouldEnable
		return
	}
	err := r.Backend.EnableUser(ctx, m.Email)
	entry := staas.AuditEntry{At: r.now().UTC(), ClientID: m.ClientID, Actor: staas.AuditActorWHMCS, Action: AuditActionReenable,
		Params: map[string]string{"user_id": m.UserID, "service_id": strconv.FormatInt(m.ServiceID, 10), "cluster": r.Cluster}}
	if err != nil {
		it.Action = defaultActionFailedAs + staas.ErrorMessage(err)
		entry.Result, entry.Message = string(staas.ErrorCode(err)), fmt.Sprintf("The reconciler could not enable S3 user %s (%s) again: %s", m.UserID, m.Email, staas.ErrorMessage(err))
	} else {
		it.Action = ActionEnabled
		entry.Result, entry.Message = "ok", fmt.Sprintf("S3 user %s (%s) is enabled again by the reconciler: WHMCS says Active, and the reconciler had disabled it.", m.UserID, m.Email)
		r.log().Info("reconcile: enabled again", "cluster", r.Cluster, "user_id", m.UserID, "client", m.ClientID, "service", m.ServiceID)
	}
	if _, aerr := r.Audit.AddAudit(context.WithoutCancel(ctx), entry); aerr != nil {
		r.log().Error("reconcile: audit row not written", "cluster", r.Cluster, "user_id", m.UserID, "err", aerr)
	}
}

const actionQuotaRemoved = "quota removed"

// quota compares a service user's quota with its product's and, unless
// dryRun, re-applies the product's (set, or removed when it has none).
func (r *Reconciler) quota(ctx context.Context, m staas.S3User, u *staas.StorageUser, setting string, dryRun bool, rep *Report) (Item, bool) {
	want := uint64(0)
	if s := strings.TrimSpace(setting); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			rep.Unchecked = append(rep.Unchecked, fmt.Sprintf("the quota of service %d: its product's setting %q is no number of GB", m.ServiceID, setting))
			return Item{}, false
		}
		want = n
	}
	subject := staas.UserQuota(staas.ByID(u.ID))
	have := uint64(0)
	q, err := r.Backend.Quota(ctx, subject)
	switch {
	case staas.ErrorCode(err) == staas.ENOTFOUND:
	case err != nil:
		rep.Unchecked = append(rep.Unchecked, fmt.Sprintf("the quota of user %s (%s): %s", m.UserID, m.Email, staas.ErrorMessage(err)))
		return Item{}, false
	case q != nil:
		have = q.SizeGB
	}
	if have == want {
		return Item{}, false
	}
	gb := func(n uint64) string {
		if n == 0 {
			return "no quota"
		}
		return fmt.Sprintf("quota %d GB", n)
	}
	it := Item{Kind: KindQuotaDiffers, ServiceID: m.ServiceID, ClientID: m.ClientID, Cluster: r.Cluster, UserID: m.UserID, Email: m.Email,
		WHMCS: "product " + gb(want), Gateway: gb(have)}
	if dryRun {
		it.Action = "would re-apply the product's " + gb(want) + " (dry run)"
		return it, true
	}
	if want == 0 {
		err = r.Backend.DeleteQuota(ctx, subject)
		if staas.ErrorCode(err) == staas.ENOTFOUND {
			err = nil
		}
		it.Action = actionQuotaRemoved
	} else {
		err = r.Backend.SetQuota(ctx, subject, want)
		it.Action = fmt.Sprintf("quota set to %d GB", want)
	}
	entry := staas.AuditEntry{At: r.now().UTC(), ClientID: m.ClientID, Actor: staas.AuditActorWHMCS, Action: AuditActionQuota,
		Params: map[string]string{"user_id": m.UserID, "service_id": strconv.FormatInt(m.ServiceID, 10), "cluster": r.Cluster, "quota_gb": strconv.FormatUint(want, 10)}}
	if err != nil {
		it.Action = defaultActionFailedAs + staas.ErrorMessage(err)
		entry.Result, entry.Message = string(staas.ErrorCode(err)), fmt.Sprintf("The reconciler could not re-apply the product's %s to S3 user %s (%s): %s", gb(want), m.UserID, m.Email, staas.ErrorMessage(err))
	} else {
		entry.Result, entry.Message = "ok", fmt.Sprintf("S3 user %s (%s) had %s; the reconciler re-applied the product's %s.", m.UserID, m.Email, gb(have), gb(want))
	}
	if r.Audit != nil && m.ClientID > 0 {
		if _, aerr := r.Audit.AddAudit(context.WithoutCancel(ctx), entry); aerr != nil {
			r.log().Error("reconcile: audit row not written", "cluster", r.Cluster, "user_id", m.UserID, "err", aerr)
		}
	}
	return it, true
}
