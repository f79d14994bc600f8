package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"staas/internal/reconcile"
)

// In API mode there is no bulk read of WHMCS's statuses: reconcile says
// which setting it needs, and does nothing.
func TestReconcile_NeedsWHMCSDatabase(t *testing.T) {
	env := serveEnv(t, nil)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"reconcile", "-dry-run"}, lookup, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "STAAS_WHMCS_MODE=mysql") {
		t.Fatalf("reconcile in API mode = %v", err)
	}
	if err := run(context.Background(), []string{"reconcile", "extra"}, lookup, &stdout, &stderr); err == nil {
		t.Fatal("reconcile took an argument")
	}
}

func TestReconcileLines(t *testing.T) {
	rep := reconcile.Report{Cluster: "eu-1", DryRun: true, Checked: 3, Items: []reconcile.Item{{Kind: reconcile.KindSuspendedEnabled, ServiceID: 10, ClientID: 1,
		Cluster: "eu-1", UserID: "u1", Email: "a@example.com", WHMCS: "service Suspended", Gateway: "enabled", Action: reconcile.ActionWouldDisable}},
		Unchecked: []string{"the buckets of user u2"}}
	got := strings.Join(reconcileLines(rep), "\n")
	want := "cluster eu-1: client 1, service 10, user u1 (a@example.com): suspended-but-enabled; WHMCS says service Suspended, the gateway says enabled: would disable (dry run)\n" +
		"cluster eu-1: not checked: the buckets of user u2\n" +
		"cluster eu-1 (dry run): 3 mapped user(s) checked, 1 drift item(s), 0 disabled or enabled again"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := reconcileLines(reconcile.Report{Cluster: "x", Held: "other"}); len(got) != 1 || !strings.Contains(got[0], "another staas (other)") {
		t.Fatal(got)
	}
}
