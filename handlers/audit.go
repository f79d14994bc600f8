package handlers

import (
	"context"
	"strconv"

	"staas"
	"staas/internal/provision"
	"staas/views"
)

// AuditReader reads the audit log, newest first (*store.Store).
type AuditReader interface {
	Audit(ctx context.Context, f staas.AuditFilter) ([]staas.AuditEntry, error)
}

// auditBefore reads the before parameter of the audit log: an entry id,
// a whole number from 1; "" is the newest page (0).
func auditBefore(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		if len(s) > 20 {
			s = s[:20] + "…"
		}
		return 0, staas.Errorf(staas.EINVALID, "The audit log pages by entry id, a whole number from 1, not %q.", s)
	}
	return id, nil
}

// showAudit turns the audit log on at the page before the entry id
// before (0: the newest).
func (h *adminUI) showAudit(ctx context.Context, a provision.Actor, before int64) {
	h.show(ctx, a, views.PanelAudit, panelState{Before: before})
}

// auditVM reads a page of the client's audit log. A staas without an
// audit reader gets the panel with the reason instead of entries.
func (h *adminUI) auditVM(ctx context.Context, a provision.Actor, state panelState) (*views.AuditVM, error) {
	before := max(state.Before, 0)
	vm := &views.AuditVM{Before: before}
	if h.audit == nil {
		vm.Unavailable = "The audit log is not available in this staas."
		return vm, nil
	}
	if a.ClientID <= 0 {
		// ClientID 0 would read every client's entries.
		return nil, staas.Errorf(staas.EINVALID, "The audit log needs a client.")
	}
	entries, err := h.audit.Audit(ctx, staas.AuditFilter{ClientID: a.ClientID, Before: before, Limit: views.AuditPageSize})
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		vm.Rows = append(vm.Rows, views.AuditRow{ID: e.ID, At: e.At, AdminID: e.AdminID, AdminName: e.AdminName, Actor: e.Actor, Action: e.Action,
			Params: e.Params, Result: e.Result, Message: e.Message})
	}
	if len(entries) == views.AuditPageSize {
		vm.Older = entries[len(entries)-1].ID
	}
	return vm, nil
}
