package handlers_test

import (
	"strings"
	"testing"

	"staas/internal/ecs"
	"staas/standin/ecssim"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
)

// A client whose S3 user is on an ECS cluster gets "Bucket billing info":
// each bucket's Get Bucket Billing Info fields, in the unit the admin
// selects; a client on an ostor cluster is not offered it.
func TestAdmin_BucketBillingInfoOnECS(t *testing.T) {
	a := newClustersApp(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}, ECS: []string{"ecs-1"}}, nil, nil)
	if status, body := a.act(fullAdmin, "create-user", map[string]string{"cluster": "ecs-1"}); status != 200 {
		t.Fatalf("create on ecs-1: %d %v", status, body)
	}
	e := a.ECS["ecs-1"].Sim
	ns := ecs.NamespaceFor("alice@example.com")
	for _, b := range []string{"alice-data", "alice-logs"} {
		if err := e.CreateBucket(ns, b, "alice@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.RecordTraffic(ns, "alice-data", ecssim.Traffic{At: e.Now(), Ingress: 3 << 20, ObjectsCreated: 3, BytesDelta: 3 << 20}); err != nil {
		t.Fatal(err)
	}
	if a.links(fullAdmin).Find(`button[value="toggle-billing"]`).Length() != 1 {
		t.Fatal("no Bucket billing info toggle for a client on ECS")
	}
	if status, body := a.act(fullAdmin, "toggle-billing", nil); status != 200 {
		t.Fatalf("toggle-billing: %d %v", status, body)
	}
	panel := a.panels(fullAdmin).Find("#staas-panel-billing")
	if panel.Length() != 1 {
		t.Fatal("no billing panel")
	}
	text := panel.Text()
	for _, want := range []string{"alice-data", "alice-logs", ns, "GB"} {
		if !strings.Contains(text, want) {
			t.Errorf("billing panel lacks %q:\n%s", want, text)
		}
	}
	if status, body := a.act(fullAdmin, "billing-unit", map[string]string{"unit": "BYTE"}); status != 200 {
		t.Fatalf("billing-unit: %d %v", status, body)
	}
	panel = a.panels(fullAdmin).Find("#staas-panel-billing")
	if v, _ := panel.Find(`select[name="unit"] option[selected]`).Attr("value"); v != "BYTE" {
		t.Errorf("unit selected %q, want BYTE", v)
	}
	if !strings.Contains(panel.Text(), "3145728 BYTE") {
		t.Errorf("alice-data's size in bytes missing:\n%s", panel.Text())
	}
	if status, _ := a.act(fullAdmin, "billing-unit", map[string]string{"unit": "TB"}); status == 200 {
		t.Error("an unknown unit was accepted")
	}

	// Bob is on the ostor default cluster: no billing info offered.
	bob := pageRequest(fullAdmin)
	bob.ClientID = 2
	if status, body := a.call("/shim/v1/admin/actions/create-user", map[string]any{"admin": fullAdmin, "client_id": 2}); status != 200 {
		t.Fatalf("create for Bob: %d %v", status, body)
	}
	_, body := a.call("/shim/v1/admin/links", bob)
	html := ""
	for _, l := range body["links"].([]any) {
		html += l.(string)
	}
	if strings.Contains(html, "toggle-billing") {
		t.Error("a client on ostor is offered bucket billing info")
	}
}
