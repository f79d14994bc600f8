package views

import (
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// ActionLinks returns the "Other Actions" groups of the client summary
// page in the guide's order, one component per group, because WHMCS puts
// each element of the hook's array in a list item of its own:
// user management, user limits, bucket limits, quotas, usage statistics.
//
// Every action is a button in a POST form to vm.ActionURL carrying the
// CSRF token and the client id; nothing acts through a link. Actions that
// make no sense for the client's state are left out (Create User once the
// user exists, Enable User when it is enabled, forms that need a user
// before there is one). Without "Perform Server Operations" the change
// buttons are shown disabled with the reason; read-only ones stay enabled.
func ActionLinks(vm LinksVM) []templ.Component {
	return []templ.Component{
		userActions(vm),
		userLimitsGroup(vm),
		bucketLimitsGroup(vm),
		quotaGroup(vm),
		statsGroup(vm),
	}
}

// Field names of the forms, as the handlers read them and as FieldErrors
// keys them.
const (
	fieldOpsName        = "ops-name"
	fieldOpsValue       = "ops-value"
	fieldBandwidthName  = "bandwidth-name"
	fieldBandwidthValue = "bandwidth-value"
	fieldBucket         = "bucket"
	fieldObject         = "object"
	// FieldCluster is Create User's choice of cluster.
	FieldCluster = "cluster"
)

// The quota form's fields, as the handlers read them. FieldQuotaOf says
// whose quota: QuotaOfUser, or QuotaOfBucket followed by a bucket's name
// (":" is in no bucket name, so a bucket named "user" is still a bucket).
// Nothing chosen is refused; it never means the user.
const (
	FieldQuotaOf  = "quota-of"
	FieldQuotaGB  = "quota-gb"
	QuotaOfUser   = "user"
	QuotaOfBucket = "bucket:"
)

// opsNames and bandwidthNames are the limit names the gateway knows, in
// the guide's order; the first is the default.
var (
	opsNames       = []string{"default", "get", "put", "list", "delete"}
	bandwidthNames = []string{"out"}
)

// selected returns v if it is one of names, else the first name.
func selected(v string, names []string) string {
	for _, n := range names {
		if n == v {
			return v
		}
	}
	return names[0]
}

// userButtons are the user management actions that fit the client's state.
func userButtons(vm LinksVM) []button {
	change := func(action, label string) button {
		return button{Action: action, Label: label, Class: "btn btn-link btn-sm", Change: true}
	}
	var bs []button
	if vm.HasUser {
		del := change(ActDeleteUser, "Delete User")
		del.Class = "btn btn-link btn-sm text-danger"
		bs = append(bs, del)
		if vm.UserState != "enabled" {
			bs = append(bs, change(ActEnableUser, "Enable User"))
		}
		if vm.UserState != "disabled" {
			bs = append(bs, change(ActDisableUser, "Disable User"))
		}
		gen := change(ActGenerateKey, "Generate Access Key")
		gen.Blocked = keyLimitReason(vm)
		bs = append(bs, gen)
	}
	return bs
}

// createButton is Create User, in a form of its own with the cluster.
func createButton() button {
	return button{Action: ActCreateUser, Label: "Create User", Class: "btn btn-default btn-sm", Change: true}
}

// chosenCluster is the cluster Create User's select has chosen: the
// admin's last choice when it is one of clusters, else the first.
func chosenCluster(f CreateForm, clusters []string) string {
	if slices.Contains(clusters, f.Cluster) {
		return f.Cluster
	}
	if len(clusters) == 0 {
		return ""
	}
	return clusters[0]
}

// unsupportedSentence says in one sentence what the storage of cluster
// cannot limit, "" when it can limit both.
func unsupportedSentence(cluster string, u Unsupported) string {
	var what string
	switch {
	case u.OpsLimits && u.BandwidthLimits:
		what = "ops or bandwidth limits"
	case u.OpsLimits:
		what = "ops limits"
	case u.BandwidthLimits:
		what = "bandwidth limits"
	default:
		return ""
	}
	return "The storage of cluster " + cluster + " has no " + what + ", so the form does not offer them."
}

// keyLimitReason says why Generate Access Key is disabled: the user has
// the most key pairs ostor allows (the gateway would refuse a third).
func keyLimitReason(vm LinksVM) string {
	if vm.KeyPairs < MaxKeyPairs {
		return ""
	}
	return "The S3 user has " + strconv.Itoa(vm.KeyPairs) + " access key pairs, the most the storage allows: revoke one to generate another."
}

// purgeBuckets is "Empty and delete buckets": the admin picks the bucket
// in the S3 Buckets panel and types its name there, so the button opens
// that panel (as Revoke Access Key opens the key list).
func purgeBuckets() button {
	return button{
		Action: ActToggleBuckets,
		Label:  "Empty and delete buckets",
		Class:  "btn btn-link btn-sm text-danger",
		Hint:   "Opens the client's buckets; empty and delete one there",
		Change: true,
	}
}

// revokeKey is "Revoke Access Key": the admin picks the pair in the user's
// key list, so the button opens that list (the guide revoked whichever
// pair came first). When the list is already showing, the item points to it.
func revokeKey() button {
	return button{
		Action: ActToggleUser,
		Label:  "Revoke Access Key",
		Class:  "btn btn-link btn-sm",
		Hint:   "Opens the user's key pairs; revoke one there",
		Change: true,
	}
}

// toggles are the panel toggles that fit the client's state.
func toggles(vm LinksVM) []button {
	var bs []button
	if vm.HasUser {
		bs = append(bs, toggle(ActToggleUser, "Query User", vm.On[PanelUser]))
	}
	bs = append(bs, toggle(ActToggleUsers, "List Users", vm.On[PanelUsers]))
	if vm.HasUser {
		bs = append(bs, toggle(ActToggleBuckets, "Buckets", vm.On[PanelBuckets]))
	}
	// The audit log is the client's, with or without an S3 user.
	bs = append(bs, toggle(ActToggleAudit, "Audit log", vm.On[PanelAudit]))
	return bs
}

// formButtons are the Set/Get/Delete buttons of a limits or quota form.
func formButtons(set, get, del string) []button {
	return []button{
		{Action: set, Label: "Set", Class: "btn btn-default btn-sm", Change: true},
		{Action: get, Label: "Get", Class: "btn btn-default btn-sm"},
		{Action: del, Label: "Delete", Class: "btn btn-danger btn-sm", Change: true},
	}
}

// limitsButtons are formButtons of a limits form; Set is left out when
// the cluster's storage has neither kind of limit.
func limitsButtons(set, get, del string, u Unsupported) []button {
	bs := formButtons(set, get, del)
	if u.OpsLimits && u.BandwidthLimits {
		return bs[1:]
	}
	return bs
}

// statsScope says whose statistics objects are: the whole cluster's.
func statsScope(cluster string) string {
	if cluster == "" {
		return "Statistics objects are the whole cluster's, shared by every client."
	}
	return "Statistics objects are the whole cluster's (" + cluster + "), shared by every client."
}

// groupClass is the class of a field's wrapper: Bootstrap's has-error
// when the field has a message.
func groupClass(errs FieldErrors, field string) string { return groupClassMsg(errs[field]) }

// groupClassMsg is groupClass for a message already picked.
func groupClassMsg(msg string) string {
	if msg != "" {
		return "form-group has-error"
	}
	return "form-group"
}

// bucketPrompt is the bucket select's first choice.
const bucketPrompt = "Choose a bucket…"

// quotaOfKnown says whether the quota form's choice is one it offers.
func quotaOfKnown(of string, buckets []string) bool {
	if of == QuotaOfUser {
		return true
	}
	name, ok := strings.CutPrefix(of, QuotaOfBucket)
	return ok && slices.Contains(buckets, name)
}

// quotaOfError is the message by the quota form's choice: about the
// choice itself, or about the bucket it names.
func quotaOfError(errs FieldErrors) string {
	if msg := errs[FieldQuotaOf]; msg != "" {
		return msg
	}
	return errs[fieldBucket]
}

// describedBy is the aria-describedby of a field: its error, if any.
func describedBy(errs FieldErrors, field, id string) string {
	if errs[field] != "" {
		return id + "-error"
	}
	return ""
}
