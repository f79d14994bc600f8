package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"staas"
	"staas/internal/provision"
	"staas/whmcsbridge"
)

// DailyFunc runs staas's daily work on WHMCS's daily cron (serve provides
// it: deliver queued notes, one usage collection and one storage
// sampling) and says what happened, one line each. A part that fails is a
// line, not an error: the other parts still run.
type DailyFunc func(ctx context.Context) []string

// eventAPI serves the client and cron hooks.
type eventAPI struct {
	svc *provision.ClientEvents
	// createOnAdd creates a client's S3 user when WHMCS adds the client
	// (STAAS_CREATE_ON_CLIENT_ADD).
	createOnAdd bool
	// deletePolicy is what a deleted client's S3 users become
	// (STAAS_CLIENT_DELETE).
	deletePolicy provision.DeletePolicy
	daily        DailyFunc
}

// eventFunc handles one event's validated request; its lines go to
// WHMCS's Activity Log.
type eventFunc func(h *eventAPI, ctx context.Context, r whmcsbridge.EventRequest) ([]string, error)

// eventFuncs is the table of events; routes.go gives each its own endpoint.
var eventFuncs = map[string]eventFunc{
	whmcsbridge.EventClientAdd: func(h *eventAPI, ctx context.Context, r whmcsbridge.EventRequest) ([]string, error) {
		if !h.createOnAdd {
			return nil, nil // services make their own users on Create
		}
		u, err := h.svc.ClientAdded(ctx, r.ClientID, r.AdminID, r.Email)
		if err != nil {
			return nil, err
		}
		return []string{fmt.Sprintf("staas: S3 user %s (%s) created for new client %d.", u.UserID, u.Email, r.ClientID)}, nil
	},
	whmcsbridge.EventClientEdit: func(h *eventAPI, ctx context.Context, r whmcsbridge.EventRequest) ([]string, error) {
		if r.OldEmail == "" || r.Email == r.OldEmail {
			// ClientEdit fires on every save of the profile; without the
			// previous address there is no change to record.
			return nil, nil
		}
		return h.svc.ClientEmail(ctx, r.ClientID, r.AdminID, r.OldEmail, r.Email)
	},
	whmcsbridge.EventClientClose: func(h *eventAPI, ctx context.Context, r whmcsbridge.EventRequest) ([]string, error) {
		return h.svc.ClientClose(ctx, r.ClientID, r.AdminID)
	},
	whmcsbridge.EventClientDelete: func(h *eventAPI, ctx context.Context, r whmcsbridge.EventRequest) ([]string, error) {
		return h.svc.ClientDelete(ctx, r.ClientID, r.AdminID, h.deletePolicy)
	},
	whmcsbridge.EventDailyCron: func(h *eventAPI, ctx context.Context, _ whmcsbridge.EventRequest) ([]string, error) {
		var lines []string
		if h.daily != nil {
			lines = append(lines, h.daily(ctx)...)
		}
		report, err := h.svc.DailyReport(ctx)
		if err != nil {
			// The work above is done; say what failed instead of
			// failing the hook.
			lines = append(lines, "staas: the daily report failed: "+staas.ErrorMessage(err))
		}
		return append(lines, report...), nil
	},
}

// event serves one event.
func (h *eventAPI) event(name string, fn eventFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req whmcsbridge.EventRequest
		if err := decodeShim(c, &req); err != nil {
			return err
		}
		if err := req.ValidateEvent(name); err != nil {
			return err
		}
		lines, err := fn(h, c.Request().Context(), req)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, whmcsbridge.EventResponse{Result: success(), Messages: lines})
	}
}
