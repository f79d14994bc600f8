package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// sim -kind ecs serves the ECS management API: the printed login works and
// -demo gives the billing calls data.
func TestSimECS(t *testing.T) {
	base, stop, _ := start(t, []string{"sim", "-kind", "ecs", "-addr", "127.0.0.1:0", "-demo", "-username", "admin", "-password", "secret"}, nil)
	req, _ := http.NewRequest("GET", base+"/login", nil)
	req.SetBasicAuth("admin", "secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tok := resp.Header.Get("X-SDS-AUTH-TOKEN")
	if resp.StatusCode != 200 || tok == "" {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", base+"/object/billing/namespace/acme/info?include_bucket_detail=true", nil)
	req.Header.Set("X-SDS-AUTH-TOKEN", tok)
	req.Header.Set("Accept", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	err = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(m["bucket_billing_info"].([]any)) == 0 {
		t.Errorf("namespace billing: %d %v %v", resp.StatusCode, m, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("sim stopped with %v", err)
	}
}

func TestSimKindIsChecked(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"sim", "-kind", "ceph", "-addr", "127.0.0.1:0"}, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "-kind must be ostor or ecs") {
		t.Errorf("-kind ceph: %v", err)
	}
}
