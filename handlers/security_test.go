package handlers_test

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"staas/handlers"
	"staas/internal/testworld"
)

// A page number near the int range used to overflow the users list's
// offset and panic; now it shows the last page.
func TestUsersPage_HugePageShowsLastPage(t *testing.T) {
	a := newApp(t)
	a.act(fullAdmin, "create-user", nil)
	for _, page := range []string{strconv.Itoa(math.MaxInt), strconv.Itoa(math.MaxInt / 25), "1000000"} {
		status, body := a.act(fullAdmin, "users-page", map[string]string{"page": page})
		if status != http.StatusOK || body["result"] != "success" {
			t.Fatalf("page %s: %d %v", page, status, body)
		}
		doc := a.panels(fullAdmin)
		if text := doc.Text(); !strings.Contains(text, "showing 1–2 of 2") {
			t.Errorf("page %s: the users panel does not show the last page: %q", page, text)
		}
	}
}

// panickyPanels is a PanelStore whose reads panic, as a bug would.
type panickyPanels struct{ handlers.PanelStore }

func (panickyPanels) Panels(context.Context, int64, int64) (map[string]string, error) {
	panic("boom: index out of range")
}

// A panicking handler answers with the shim's JSON envelope and a 500,
// and the log keeps the panic; before, net/http dropped the connection.
func TestRecover_PanicAnswersWithEnvelope(t *testing.T) {
	var logs syncBuffer
	a := newAppWith(t, func(_ *testworld.World, d *handlers.Deps) {
		d.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		d.Panels = panickyPanels{d.Panels}
	})
	status, body := a.call("/shim/v1/admin/links", pageRequest(fullAdmin))
	if status != http.StatusInternalServerError || body["result"] != "error" || body["code"] != "internal" {
		t.Fatalf("panic answered %d %v, want 500 with the error envelope", status, body)
	}
	if msg, _ := body["message"].(string); strings.Contains(msg, "boom") {
		t.Errorf("the panic's text reached the caller: %q", msg)
	}
	out := logs.String()
	if !strings.Contains(out, "handler panicked") || !strings.Contains(out, "boom") {
		t.Errorf("the panic is not in the log:\n%s", out)
	}
	if !strings.Contains(out, "status=500") {
		t.Errorf("the request line does not record the 500:\n%s", out)
	}
}
