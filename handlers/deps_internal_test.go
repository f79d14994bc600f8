package handlers

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"staas"
	"staas/internal/provision"
	"staas/internal/usage"
	"staas/whmcsbridge"
)

type noAudit struct{}

func (noAudit) Audit(context.Context, staas.AuditFilter) ([]staas.AuditEntry, error) { return nil, nil }

type noServices struct{}

func (noServices) S3UserByService(context.Context, int64) (*staas.S3User, error) {
	return nil, staas.Errorf(staas.ENOTFOUND, "no service")
}

// mustNew is New for tests of routes that call no service (health): the
// services d lacks are stand-ins that are never called.
func mustNew(t *testing.T, d Deps) *echo.Echo {
	t.Helper()
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Shim == nil {
		d.Shim = &whmcsbridge.Verifier{Secret: []byte("unused-secret-0123456789abcdef")}
	}
	if d.Provision == nil {
		d.Provision = provision.New(provision.Config{})
	}
	if d.Panels == nil {
		d.Panels = memPanels{}
	}
	if d.Usage == nil {
		d.Usage = &usage.Figures{Reader: &usage.Reader{}}
	}
	if d.Audit == nil {
		d.Audit = noAudit{}
	}
	if d.Services == nil {
		d.Services = noServices{}
	}
	if d.Daily == nil {
		d.Daily = func(context.Context) []string { return nil }
	}
	e, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A dependency left out stops staas at startup, naming it, instead of
// leaving routes out or a panel saying "not configured".
func TestNew_RefusesMissingDependencies(t *testing.T) {
	_, err := New(Deps{Logger: slog.New(slog.DiscardHandler), Panels: memPanels{}, Now: time.Now})
	if err == nil {
		t.Fatal("New accepted Deps without its services")
	}
	for _, name := range []string{"Shim", "Provision", "Usage", "Audit", "Services", "Daily"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error %q does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "Panels") || strings.Contains(err.Error(), "Logger") {
		t.Errorf("the error %q names a dependency that was given", err)
	}
}
