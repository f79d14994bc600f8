package handlers

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"staas"
	"staas/views"
)

// panelState is what staas keeps of one panel an admin has on for a
// client (or of a client's own view of a service): its subject and page
// cursor, a form kept after a failed submit, or a confirmation awaiting
// its answer. A panel that is off has no state at all.
//
// It is stored as JSON (encodeState), one PanelStore row per panel;
// decodeState also reads the url-encoded values staas stored before, so
// the rows of an upgraded install keep their panels.
type panelState struct {
	// The users list: the search, the page (from 1; 0 is the first) and
	// the cluster listed ("" the client's).
	Query   string `json:"query,omitempty"`
	Page    int    `json:"page,omitempty"`
	Cluster string `json:"cluster,omitempty"`
	// The statistics list's cursor: the object after which it continues.
	After string `json:"after,omitempty"`
	// The audit log's cursor: the entry id before which it continues
	// (0: the newest page).
	Before int64 `json:"before,omitempty"`
	// The usage history's period, in days (one of views.UsageDays).
	Days int `json:"days,omitempty"`
	// The bucket billing info's size unit (one of views.BillingUnits).
	Unit string `json:"unit,omitempty"`
	// The subject a panel shows: a bucket (bucket limits), a statistics
	// object and which of its rows (object), the quota chosen (quotas).
	Bucket  string `json:"bucket,omitempty"`
	Object  string `json:"object,omitempty"`
	Scope   string `json:"scope,omitempty"`
	QuotaOf string `json:"quota_of,omitempty"`
	// Reveal is the access key whose secret the next render shows once.
	Reveal string `json:"reveal,omitempty"`
	// Form is a kept form (the form:… states).
	Form *keptForm `json:"form,omitempty"`
	// Confirm is the pending confirmation (stateConfirm).
	Confirm *pendingConfirm `json:"confirm,omitempty"`
}

// keptForm is what the admin typed in a form that failed, with what is
// wrong with each field, so the next page shows both.
type keptForm struct {
	Input  map[string]string `json:"input,omitempty"`
	Errors map[string]string `json:"errors,omitempty"`
}

// pendingConfirm is a destructive action awaiting its confirmation: the
// action with the parameters Confirm posts back, its question, where it
// was asked (views.ConfirmVM.At) and, for an action confirmed by typing,
// what to type and why the last try failed.
type pendingConfirm struct {
	Action        string            `json:"action"`
	Question      string            `json:"question,omitempty"`
	At            string            `json:"at,omitempty"`
	TypeToConfirm string            `json:"type,omitempty"`
	Error         string            `json:"error,omitempty"`
	Params        map[string]string `json:"params,omitempty"`
}

// input is the kept form's value of field; "" without a kept form.
func (s panelState) input(field string) string {
	if s.Form == nil {
		return ""
	}
	return s.Form.Input[field]
}

// fieldErrors are the kept form's field errors; nil when none.
func (s panelState) fieldErrors() map[string]string {
	if s.Form == nil || len(s.Form.Errors) == 0 {
		return nil
	}
	return s.Form.Errors
}

// encodeState is the stored value of a panel's state: the one place it
// is written.
func encodeState(s panelState) string {
	b, err := json.Marshal(s)
	if err != nil {
		// A struct of strings, numbers and string maps always encodes.
		panic("handlers: panel state does not encode: " + err.Error())
	}
	return string(b)
}

// decodeState reads a stored panel state: JSON as encodeState writes it,
// or the url-encoded parameters of earlier staas versions (which never
// begin with "{": url encoding escapes it). A value that does not decode
// leaves the panel on with no subject, as a missing parameter did.
func decodeState(panel, stored string) panelState {
	if strings.HasPrefix(stored, "{") {
		var s panelState
		if err := json.Unmarshal([]byte(stored), &s); err != nil {
			return panelState{}
		}
		return s
	}
	v, _ := url.ParseQuery(stored)
	return stateFromParams(panel, v)
}

// Keys of the url-encoded states of earlier versions, which decodeState
// still reads: a kept form's field errors are prefixed, and a
// confirmation's own keys sit among the action's parameters.
const (
	fieldErrorPrefix = "err."
	confirmAction    = "action"
	confirmQuestion  = "question"
	confirmPlace     = "confirm.at"
	confirmType      = "confirm.type"
	confirmError     = "confirm.error"
)

// stateFromParams is the typed state of a panel's url-encoded
// parameters, by the panel's kind: the confirmation, a kept form
// (form:…) or a panel.
func stateFromParams(panel string, v url.Values) panelState {
	switch {
	case panel == stateConfirm:
		c := &pendingConfirm{Action: v.Get(confirmAction), Question: v.Get(confirmQuestion), At: v.Get(confirmPlace),
			TypeToConfirm: v.Get(confirmType), Error: v.Get(confirmError)}
		for k := range v {
			switch k {
			case confirmAction, confirmQuestion, confirmType, confirmError, confirmPlace:
			default:
				if c.Params == nil {
					c.Params = map[string]string{}
				}
				c.Params[k] = v.Get(k)
			}
		}
		return panelState{Confirm: c}
	case strings.HasPrefix(panel, formPrefix):
		f := &keptForm{}
		for k := range v {
			if name, ok := strings.CutPrefix(k, fieldErrorPrefix); ok && name != "" {
				if f.Errors == nil {
					f.Errors = map[string]string{}
				}
				f.Errors[name] = v.Get(k)
				continue
			}
			if f.Input == nil {
				f.Input = map[string]string{}
			}
			f.Input[k] = v.Get(k)
		}
		return panelState{Form: f}
	}
	s := panelState{Query: v.Get("q"), After: v.Get("after"), Bucket: v.Get("bucket"), Object: v.Get("object"),
		Scope: v.Get("scope"), QuotaOf: v.Get(views.FieldQuotaOf), Reveal: v.Get("reveal")}
	s.Page, _ = strconv.Atoi(v.Get("page"))
	s.Days, _ = strconv.Atoi(v.Get("days"))
	if before, err := auditBefore(v.Get("before")); err == nil {
		s.Before = before
	}
	return s
}

// panelBook is the typed view of a PanelStore: every state it writes is
// encodeState's JSON, every state it reads goes through decodeState.
type panelBook struct{ store PanelStore }

// Panels returns the states of the panels adminID has on for clientID,
// by panel name.
func (b panelBook) Panels(ctx context.Context, adminID, clientID int64) (map[string]panelState, error) {
	raw, err := b.store.Panels(ctx, adminID, clientID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]panelState, len(raw))
	for name, stored := range raw {
		out[name] = decodeState(name, stored)
	}
	return out, nil
}

// Set turns a panel on with its state, or replaces the state of one on.
func (b panelBook) Set(ctx context.Context, adminID, clientID int64, panel string, s panelState) error {
	return b.store.SetPanel(ctx, adminID, clientID, panel, encodeState(s))
}

// HidePanel turns a panel off; its state goes with it.
func (b panelBook) HidePanel(ctx context.Context, adminID, clientID int64, panel string) error {
	return b.store.HidePanel(ctx, adminID, clientID, panel)
}

// TakeFlashes returns and forgets the admin's flashes for the client.
func (b panelBook) TakeFlashes(ctx context.Context, adminID, clientID int64) ([]staas.Flash, error) {
	return b.store.TakeFlashes(ctx, adminID, clientID)
}
