package views

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"staas"
)

// auditTime is when an action was recorded, in UTC to the second.
func auditTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// auditParams are an entry's parameters as key=value, sorted by key.
// A field left empty is not listed: a form posts all its fields, and a
// limits Delete read "bandwidth-value= … ops-value=" as if it had set
// something to nothing.
func auditParams(p map[string]string) []string {
	out := make([]string, 0, len(p))
	for _, k := range slices.Sorted(maps.Keys(p)) {
		if p[k] == "" {
			continue
		}
		out = append(out, k+"="+p[k])
	}
	return out
}

// auditActor says who acted: "Jane Doe (admin 7)" (or "admin 7" when
// the entry has no name), "client", "WHMCS (automatic)" or
// "WHMCS (Jane Doe, admin 7)" when an admin clicked a module button.
func auditActor(r AuditRow) string {
	admin := "admin " + strconv.FormatInt(r.AdminID, 10)
	if r.AdminName != "" {
		if r.Actor == "whmcs" {
			admin = r.AdminName + ", " + admin
		} else {
			admin = r.AdminName + " (" + admin + ")"
		}
	}
	switch r.Actor {
	case "client":
		return "client"
	case "whmcs":
		if r.AdminID > 0 {
			return "WHMCS (" + admin + ")"
		}
		return "WHMCS (automatic)"
	}
	return admin
}

// resultClass styles a result: ok as success, an error code as danger.
func resultClass(result string) string {
	if result == "ok" {
		return "text-success staas-result"
	}
	return "text-danger staas-result"
}

// auditEmpty is the empty state of the audit log.
func auditEmpty(a AuditVM) string {
	if a.Before != 0 {
		return "No older S3 actions recorded for this client."
	}
	return "No S3 actions recorded for this client yet."
}

// auditShowing says which entries the page shows.
func auditShowing(a AuditVM) string {
	if len(a.Rows) == 0 {
		return "" // the empty row says so
	}
	if a.Before == 0 {
		return "newest " + staas.Count(len(a.Rows), "entry", "entries")
	}
	return staas.Count(len(a.Rows), "entry", "entries") + " before #" + strconv.FormatInt(a.Before, 10)
}

// auditPage is a pager button of the audit log; before 0 is the newest.
func auditPage(before int64, label string) button {
	v := ""
	if before > 0 {
		v = strconv.FormatInt(before, 10)
	}
	return button{Action: ActAuditPage, Label: label, Class: "btn btn-default btn-xs", Params: []param{{"before", v}}}
}
