package handlers

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"staas"
	"staas/internal/reseller"
	"staas/views"
	"staas/whmcsbridge"
)

// The "staas resellers" addon page in WHMCS's admin area (issue 12): the
// shim forwards each GET and POST of the page to whmcsbridge.PathResellers,
// signed, and shows the HTML answered. What is enforced where:
//   - WHMCS's addon access control decides which admin roles reach the
//     page at all; the shim then adds whmcsbridge.PermManageResellers to
//     the admin's permissions, and here a request without it is refused.
//   - The shim checks WHMCS's CSRF token (check_token) before it forwards
//     an action, and sends the session's token and the form's; here an
//     action runs only when the two are present and equal.
//   - reseller.Manager checks every field, audits every change with the
//     admin's id and name, and never keeps or logs a password.

// ResellerAdmin manages resellers (*reseller.Manager).
type ResellerAdmin interface {
	List(ctx context.Context) ([]reseller.Account, error)
	Add(ctx context.Context, who reseller.Actor, in reseller.NewAccount) (reseller.Added, error)
	Assign(ctx context.Context, who reseller.Actor, id int64, source string) (reseller.Account, error)
	ResetPassword(ctx context.Context, who reseller.Actor, id int64, password string) (reseller.Account, string, error)
	SetState(ctx context.Context, who reseller.Actor, id int64, state string) (reseller.Account, error)
	EnrolTOTP(ctx context.Context, who reseller.Actor, id int64) (reseller.Account, reseller.Enrolment, error)
	RemoveTOTP(ctx context.Context, who reseller.Actor, id int64) (reseller.Account, error)
}

type resellerAdminUI struct {
	svc ResellerAdmin
}

// errCSRF refuses an action whose form did not carry the session's token.
func errCSRF() error {
	return staas.Errorf(staas.EFORBIDDEN, "The form's security token is missing or has expired, so nothing was changed. Reload the page and try again.")
}

func (h *resellerAdminUI) page(c echo.Context) error {
	var req whmcsbridge.ResellerRequest
	if err := decodeShim(c, &req); err != nil {
		return err
	}
	if !req.Admin.Can(whmcsbridge.PermManageResellers) {
		return staas.Errorf(staas.EFORBIDDEN, "Your admin role may not manage staas resellers: give it access to the staas resellers addon (Addon Modules > Configure > Access Control).")
	}
	ctx := c.Request().Context()
	vm := views.ResellerAdminVM{ActionURL: req.ActionURL, Token: req.Token}
	var secrets []string
	if req.Action != "" {
		if req.FormToken == "" || subtle.ConstantTimeCompare([]byte(req.FormToken), []byte(req.Token)) != 1 {
			return errCSRF()
		}
		var err error
		secrets, err = h.act(ctx, req, &vm)
		if err != nil {
			return err
		}
	}
	list, err := h.svc.List(ctx)
	if err != nil {
		return err
	}
	for _, r := range list {
		vm.Resellers = append(vm.Resellers, views.ResellerAccountVM{ID: r.ID, Name: r.Name, Email: r.Email, Active: r.State == reseller.StateActive,
			Source: r.Source, TOTP: r.TOTP, Created: r.CreatedAt.UTC().Format("2006-01-02")})
	}
	html, err := views.RenderString(ctx, views.ResellerAdmin(vm))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, whmcsbridge.ResellerResponse{Result: whmcsbridge.Result{Result: whmcsbridge.ResultSuccess}, HTML: html, Secrets: secrets})
}

// act runs the request's action and writes its outcome into vm: a notice,
// field errors, a refusal in words, or what is shown once (also returned,
// for the shim's log masking). An error only when the page itself cannot
// be answered (the store is away).
func (h *resellerAdminUI) act(ctx context.Context, req whmcsbridge.ResellerRequest, vm *views.ResellerAdminVM) ([]string, error) {
	p := req.Params
	who := reseller.Actor{AdminID: req.Admin.ID, Name: req.Admin.Name}
	source := p["source-kind"] + ":" + p["source-value"]
	var id int64
	if req.Action != "add" {
		var err error
		id, err = strconv.ParseInt(p["id"], 10, 64)
		if err != nil || id <= 0 {
			vm.Error = "The form names no reseller; nothing was changed."
			return nil, nil
		}
	}
	vm.FormID = id
	var (
		err     error
		acc     reseller.Account
		secrets []string
	)
	switch req.Action {
	case "add":
		var added reseller.Added
		added, err = h.svc.Add(ctx, who, reseller.NewAccount{Name: p["name"], Email: p["email"], Source: source, Password: p["password"]})
		if err == nil {
			vm.Notice = "Reseller " + added.Email + " added; its clients are " + added.Source + "."
			if added.Password != "" {
				vm.Shown = []views.ShownVM{{Label: "Password of " + added.Email, Value: added.Password}}
				secrets = []string{added.Password}
			}
		} else {
			vm.Add = views.ResellerAddVM{Name: p["name"], Email: p["email"], SourceKind: p["source-kind"], SourceValue: p["source-value"]}
		}
	case "assign":
		acc, err = h.svc.Assign(ctx, who, id, source)
		if err == nil {
			vm.Notice = "Reseller " + acc.Email + "'s clients are now " + acc.Source + "."
		}
	case "reset-password":
		var pw string
		acc, pw, err = h.svc.ResetPassword(ctx, who, id, p["password"])
		if err == nil {
			vm.Notice = "Reseller " + acc.Email + " has a new password."
			if pw != "" {
				vm.Shown = []views.ShownVM{{Label: "Password of " + acc.Email, Value: pw}}
				secrets = []string{pw}
			}
		}
	case "disable", "enable":
		state := reseller.StateDisabled
		if req.Action == "enable" {
			state = reseller.StateActive
		}
		acc, err = h.svc.SetState(ctx, who, id, state)
		if err == nil && state == reseller.StateActive {
			vm.Notice = "Reseller " + acc.Email + " is enabled: it can log in again."
		} else if err == nil {
			vm.Notice = "Reseller " + acc.Email + " is disabled: the portal refuses its logins and ends its sessions."
		}
	case "totp-enrol":
		var enr reseller.Enrolment
		acc, enr, err = h.svc.EnrolTOTP(ctx, who, id)
		if err == nil {
			vm.Notice = "Reseller " + acc.Email + " now needs a 6-digit code from an authenticator app at login."
			vm.Shown = []views.ShownVM{{Label: "Secret (type it into the app)", Value: enr.Secret}, {Label: "otpauth URI (or paste this)", Value: enr.URI}}
			secrets = []string{enr.Secret, enr.URI}
		}
	case "totp-remove":
		acc, err = h.svc.RemoveTOTP(ctx, who, id)
		if err == nil {
			vm.Notice = "Reseller " + acc.Email + " logs in with its password alone."
		}
	}
	if err == nil {
		vm.FormID = 0
		return secrets, nil
	}
	if fields, ok := reseller.AsFieldErrors(err); ok {
		vm.Fields = fields
		vm.Error = "Nothing was changed: correct the fields marked below."
		return nil, nil
	}
	switch staas.ErrorCode(err) {
	case staas.ENOTFOUND, staas.EINVALID, staas.ECONFLICT:
		vm.FormID = 0
		vm.Error = staas.ErrorMessage(err)
		return nil, nil
	}
	return nil, err
}
