package main

import (
	"reflect"
	"testing"
	"time"

	"staas/internal/config"
	"staas/internal/whmcs"
)

// TestWHMCSConfig: every STAAS_WHMCS_* setting reaches the adapter, the
// secrets revealed only there.
func TestWHMCSConfig(t *testing.T) {
	got := whmcsConfig(config.WHMCS{Mode: "api", APIURL: "https://billing.example.com/includes/api.php", APIIdentifier: "id",
		APISecret: config.Secret("api-secret"), APIAccessKey: config.Secret("access-key"),
		DBDSN: config.Secret("whmcs:pw@tcp(db:3306)/whmcs"), Timeout: 7 * time.Second, NotesWithSecret: true})
	want := whmcs.Config{Mode: whmcs.ModeAPI,
		API: whmcs.APIConfig{URL: "https://billing.example.com/includes/api.php", Identifier: "id", Secret: "api-secret", AccessKey: "access-key"},
		DSN: "whmcs:pw@tcp(db:3306)/whmcs", Timeout: 7 * time.Second}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("whmcsConfig = %#v\nwant %#v", got.API, want.API)
	}
	if _, err := whmcs.Open(got); err != nil {
		t.Fatal(err)
	}
}
