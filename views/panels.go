package views

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"staas"
)

// hasContent says whether the panels part shows anything at all; when it
// does not, Panels renders nothing, so WHMCS's page gets no empty box.
func (vm PanelsVM) hasContent() bool {
	return len(vm.Flashes) > 0 || vm.Confirm != nil || len(vm.Failed) > 0 ||
		vm.Users != nil || vm.User != nil || vm.Buckets != nil || vm.Stats != nil ||
		vm.UserLimits != nil || vm.BucketLimits != nil || vm.Object != nil || vm.Quotas != nil || vm.Usage != nil || vm.Audit != nil || vm.Billing != nil || vm.Pending != nil
}

// panelOrder is every panel in the order the page shows them.
var panelOrder = []string{PanelUsers, PanelUser, PanelStats, PanelUserLimits, PanelBucketLimits,
	PanelBuckets, PanelQuotas, PanelObject, PanelUsage, PanelBilling, PanelAudit}

// failed says whether the panel is on but could not be read.
func (vm PanelsVM) failed(panel string) bool {
	_, ok := vm.Failed[panel]
	return ok
}

// shows says whether the panel renders: with its data, or as the frame of
// a panel that could not be read.
func (vm PanelsVM) shows(panel string) bool {
	var has bool
	switch panel {
	case PanelUsers:
		has = vm.Users != nil
	case PanelUser:
		has = vm.User != nil
	case PanelBuckets:
		has = vm.Buckets != nil
	case PanelStats:
		has = vm.Stats != nil
	case PanelUserLimits:
		has = vm.UserLimits != nil
	case PanelBucketLimits:
		has = vm.BucketLimits != nil
	case PanelObject:
		has = vm.Object != nil
	case PanelQuotas:
		has = vm.Quotas != nil
	case PanelUsage:
		has = vm.Usage != nil
	case PanelAudit:
		has = vm.Audit != nil
	case PanelBilling:
		has = vm.Billing != nil
	}
	return has || vm.failed(panel)
}

// panelCols is a panel's width in the grid (panelBox), the same whether
// it shows its data or the frame of one that could not be read.
func panelCols(panel string) string {
	switch panel {
	case PanelUserLimits, PanelBucketLimits:
		return "col-lg-3 col-sm-6"
	case PanelObject, PanelUsage, PanelAudit, PanelBilling:
		return "col-lg-12 col-sm-12"
	}
	return "col-lg-6 col-sm-12"
}

// confirmPanel is the panel the pending confirmation renders in: the one
// that asked for it, when it shows; "" otherwise.
func (vm PanelsVM) confirmPanel() string {
	if vm.Confirm == nil {
		return ""
	}
	for _, p := range panelOrder {
		if vm.Confirm.At == PanelAnchor(p) && vm.shows(p) {
			return p
		}
	}
	return ""
}

// confirmAtResult says whether the pending confirmation renders with the
// flashes: the place that asked for it is not on the page. (One asked in
// an "Other Actions" group never reaches the panels; see ConfirmInLinks.)
func (vm PanelsVM) confirmAtResult() bool {
	return vm.Confirm != nil && vm.confirmPanel() == ""
}

// confirmRowParam is, for each panel whose rows ask for a confirmation,
// the parameter that names the row.
var confirmRowParam = map[string]string{PanelUser: "access_key", PanelBuckets: "bucket", PanelStats: "object"}

// rowKeys are the names of the rows a panel shows, by confirmRowParam.
func (vm PanelsVM) rowKeys(panel string) []string {
	var keys []string
	switch {
	case panel == PanelUser && vm.User != nil:
		for _, k := range vm.User.Keys {
			keys = append(keys, k.FormRef())
		}
	case panel == PanelBuckets && vm.Buckets != nil:
		for _, r := range vm.Buckets.Rows {
			keys = append(keys, r.Name)
		}
	case panel == PanelStats && vm.Stats != nil:
		keys = vm.Stats.Items
	}
	return keys
}

// confirmOnRow says whether the pending confirmation renders under the
// row of panel named key: the panel asked for it about that row.
func (vm PanelsVM) confirmOnRow(panel, key string) bool {
	param, ok := confirmRowParam[panel]
	return ok && vm.confirmPanel() == panel && vm.Confirm.Params[param] == key
}

// confirmAtTop says whether the pending confirmation renders at the top of
// panel: the panel asked for it, and shows no row it is about (it could
// not be read, or the row is on another page).
func (vm PanelsVM) confirmAtTop(panel string) bool {
	if vm.confirmPanel() != panel {
		return false
	}
	param, ok := confirmRowParam[panel]
	return !ok || !slices.Contains(vm.rowKeys(panel), vm.Confirm.Params[param])
}

// alertClass maps a flash kind to WHMCS's (Bootstrap 3's) alert style; an
// unknown kind is shown as information.
func alertClass(kind string) string {
	switch kind {
	case "success":
		return "alert alert-success"
	case "error":
		return "alert alert-danger"
	default:
		return "alert alert-info"
	}
}

// alertRole makes screen readers announce errors at once.
func alertRole(kind string) string {
	if kind == "error" {
		return "alert"
	}
	return "status"
}

// confirmButtons are the two buttons of a confirmation: the action with
// its parameters and confirm=yes, and Cancel.
func confirmButtons(c ConfirmVM) (yes, no button) {
	keys := slices.Sorted(maps.Keys(c.Params))
	params := make([]param, 0, len(keys))
	for _, k := range keys {
		params = append(params, param{k, c.Params[k]})
	}
	yes = button{Action: c.Action, Label: "Confirm", Class: "btn btn-danger btn-sm", Change: true, Params: params}
	no = button{Action: ActCancel, Label: "Cancel", Class: "btn btn-default btn-sm"}
	return yes, no
}

// hideButton is the small × in a panel's title.
func hideButton(panel, title string) button {
	return button{
		Action:    ActHidePanel,
		Label:     "×",
		Class:     "close",
		Hint:      "Hide this panel",
		AriaLabel: "Hide " + title,
		Params:    []param{{"panel", panel}},
	}
}

// pageRange is the 1-based range of users or buckets a page shows, its page number
// (at least 1) and whether there are pages before and after it.
type pageRange struct {
	First, Last, Total int
	Page               int
	Prev, Next         bool
}

func usersRange(u UsersVM) pageRange {
	return newPageRange(u.Page, u.PageSize, len(u.Rows), u.Total)
}

func bucketsRange(b BucketsVM) pageRange {
	return newPageRange(b.Page, b.PageSize, len(b.Rows), b.count())
}

// count is how many buckets the client has: Total, or the rows when the
// list is not paged (no Total).
func (b BucketsVM) count() int {
	return max(b.Total, len(b.Rows))
}

// newPageRange is the range of page (1-based) of size rows holding rows
// of total.
func newPageRange(page, size, rows, total int) pageRange {
	page = max(page, 1)
	if size <= 0 {
		size = max(rows, 1)
	}
	r := pageRange{Total: total, Page: page}
	if rows > 0 {
		r.First = (page-1)*size + 1
		r.Last = r.First + rows - 1
	}
	r.Prev = page > 1
	r.Next = page*size < total
	return r
}

// pages is the pager's "page N of M"; M is at least 1, an empty list
// being one empty page.
func (r pageRange) pages(size int) string {
	if size <= 0 {
		size = max(r.Last-r.First+1, 1)
	}
	return "page " + formatInt(r.Page) + " of " + formatInt(max(1, (r.Total+size-1)/size))
}

// showing is the pager's "showing X–Y of Total".
func (r pageRange) showing() string {
	if r.First == 0 {
		return "showing 0 of " + formatInt(r.Total)
	}
	return "showing " + formatInt(r.First) + "–" + formatInt(r.Last) + " of " + formatInt(r.Total)
}

func usersPage(u UsersVM, page int, label string) button {
	b := button{
		Action: ActUsersPage,
		Label:  label,
		Class:  "btn btn-default btn-xs",
		Params: []param{{"q", u.Query}, {"page", strconv.Itoa(page)}},
	}
	if len(u.Clusters) > 1 {
		b.Params = append(b.Params, param{"cluster", u.Cluster})
	}
	return b
}

func bucketsPage(page int, label string) button {
	return button{
		Action: ActBucketsPage,
		Label:  label,
		Class:  "btn btn-default btn-xs",
		Params: []param{{"page", strconv.Itoa(page)}},
	}
}

// flags is how a user's flags read.
func flags(fs []string) string {
	if len(fs) == 0 {
		return "none"
	}
	return strings.Join(fs, ", ")
}

// created is a bucket's creation time, in UTC so every admin reads the
// same; the zero time (unknown) reads "unknown".
func created(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func datetime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// quota is how a quota reads.
func quota(q QuotaRow) string {
	if !q.Set {
		return "unlimited"
	}
	return FormatCount(q.SizeGB) + " GB"
}

// objectColumns are the columns of the guide's "S3 Statistics for Object".
var objectColumns = []string{
	"format version", "service id", "start (UTC)", "period", "bucket", "epoch", "user id", "tag",
	"put", "get", "list", "other", "uploaded", "downloaded",
}

// inScope is how many of the object's items the panel's scope holds.
func (o ObjectVM) inScope() int {
	if o.All {
		return o.TotalRows
	}
	return o.ClientRows
}

// firstOf is "showing the first N of M items" when the object panel shows
// fewer items than its scope holds.
func firstOf(o ObjectVM) string {
	if o.inScope() <= len(o.Rows) {
		return ""
	}
	return "showing the first " + formatInt(len(o.Rows)) + " of " + formatInt(o.inScope()) + " items"
}

// objectScope says whose rows the object panel shows, of how many.
func objectScope(o ObjectVM) string {
	if o.All {
		return "Every client's rows: " + staas.Count(o.TotalRows, "item", "items") + "."
	}
	return "Only this client's S3 users' rows: " + formatInt(o.ClientRows) + " of the object's " + staas.Count(o.TotalRows, "item", "items") + "."
}

// objectScopeButton switches the object panel between this client's rows
// and every client's.
func objectScopeButton(o ObjectVM) button {
	b := button{Action: ActStatsGet, Class: "btn btn-default btn-xs"}
	if o.All {
		b.Label = "Show only this client's rows"
		b.Params = []param{{"object", o.Name}, {"scope", ScopeClient}}
	} else {
		b.Label = "Show every client's rows"
		b.Params = []param{{"object", o.Name}, {"scope", ScopeAll}}
	}
	return b
}

// objectEmpty is the one row of an object panel with no rows to show.
func objectEmpty(o ObjectVM) string {
	if !o.All && o.TotalRows > 0 {
		return "no items of this client's S3 users"
	}
	return "no items"
}

// clusterWide is what the statistics panels say of their data.
const clusterWide = "Statistics objects are the whole cluster's: each holds the usage of every client's S3 users, not only this client's."

// bucketLimitsTitle is the title of the bucket limits panel.
func bucketLimitsTitle(l LimitsVM) string {
	return "S3 Limits for Bucket: " + l.Bucket
}

// usersTitle is the users panel's title, naming the cluster listed when
// the handler says which (several clusters).
func usersTitle(u UsersVM) string {
	if u.Cluster == "" {
		return "S3 Users List"
	}
	return "S3 Users List: cluster " + u.Cluster
}

// pendingError is an intent's last error, or why there is none yet.
func pendingError(msg string) string {
	if msg == "" {
		return "none yet (staas is on its first attempt)"
	}
	return msg
}
