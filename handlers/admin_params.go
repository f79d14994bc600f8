package handlers

import (
	"unicode/utf8"

	"staas/views"
)

// actionParams are the form fields each admin action takes: the fields of
// the form its button sits in (a form with several buttons posts them all,
// so each of its actions lists the whole form), plus "confirm" for a
// destructive one. Everything else a request carries is dropped before
// the action runs and before it is audited, so padding fields can neither
// reach an action nor swell its audit row. The PHP addon forwards only
// these fields too (AdminEndpoint::ACTION_FIELDS); both are checked
// against whmcsbridge/testdata/shim/admin/action_params.json.
var actionParams = map[string][]string{
	views.ActCreateUser:  {views.FieldCluster},
	views.ActDeleteUser:  {"confirm"},
	views.ActEnableUser:  nil,
	views.ActDisableUser: {"confirm"},
	views.ActGenerateKey: nil,
	views.ActRevokeKey:   {"access_key", "confirm"},

	views.ActRevealSecret:  {"access_key"},
	views.ActToggleUser:    nil,
	views.ActToggleUsers:   nil,
	views.ActUsersPage:     {"q", "page", "cluster"},
	views.ActToggleBuckets: nil,
	views.ActBucketsPage:   {"page"},
	views.ActToggleStats:   nil,
	views.ActStatsPage:     {"after"},
	views.ActHidePanel:     {"panel"},
	views.ActCancel:        nil,

	views.ActUserLimitsSet:      limitsFields,
	views.ActUserLimitsGet:      limitsFields,
	views.ActUserLimitsDelete:   append(limitsFields[:len(limitsFields):len(limitsFields)], "confirm"),
	views.ActBucketLimitsSet:    bucketLimitsFields,
	views.ActBucketLimitsGet:    bucketLimitsFields,
	views.ActBucketLimitsDelete: append(bucketLimitsFields[:len(bucketLimitsFields):len(bucketLimitsFields)], "confirm"),

	views.ActQuotaSet:    {views.FieldQuotaOf, views.FieldQuotaGB},
	views.ActQuotaGet:    {views.FieldQuotaOf, views.FieldQuotaGB},
	views.ActQuotaDelete: {views.FieldQuotaOf, views.FieldQuotaGB, "confirm"},

	// stats-delete's from: the statistics list's rows say so
	// (views.FieldFrom), so the confirmation renders there.
	views.ActStatsGet:    {"object", "scope"},
	views.ActStatsDelete: {"object", "scope", "confirm", views.FieldFrom},

	// Empty and delete: the bucket, and the name typed to confirm it.
	views.ActPurgeBucket: {"bucket", "confirm", views.FieldTypedName},

	views.ActToggleUsage: nil,
	views.ActUsageDays:   {"days"},
	views.ActToggleAudit: nil,
	views.ActAuditPage:   {"before"},

	views.ActToggleBilling: nil,
	views.ActBillingUnit:   {"unit"},

	views.ActRetryIntent: {"intent"},
}

var (
	limitsFields       = []string{"ops-name", "ops-value", "bandwidth-name", "bandwidth-value"}
	bucketLimitsFields = []string{"bucket", "ops-name", "ops-value", "bandwidth-name", "bandwidth-value"}
)

// actionFields keeps the parameters action takes and drops the rest.
func actionFields(action string, p map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range actionParams[action] {
		if v, ok := p[k]; ok {
			out[k] = v
		}
	}
	return out
}

// maxAuditValue is how much of each parameter the audit log keeps, in
// bytes: enough for any bucket, key or object name, and with every action
// taking at most a handful of parameters, a row stays far below the
// column's size whatever a request carries.
const maxAuditValue = 256

// auditParams is what the audit log keeps of an action's parameters: the
// action's own (actionFields), each clipped to maxAuditValue, and never
// what must not be logged. No action takes a secret as a parameter today;
// this keeps it so if one ever does. Where the button sat
// (views.FieldFrom) is no part of what was done, and is left out too.
func auditParams(action string, p map[string]string) map[string]string {
	out := actionFields(action, p)
	for k, v := range out {
		switch k {
		case "token", "secret", "password", views.FieldFrom:
			delete(out, k)
			continue
		}
		out[k] = clip(v, maxAuditValue)
	}
	return out
}

// clip cuts s to at most n bytes on a character boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
