package whmcsbridge

import (
	"encoding/json"
	"strings"
	"testing"

	"staas"
)

// A module request's "cluster" (the server entry's Username) is decoded,
// "" or absent means the default, and a name no cluster can have is
// refused before anything is sent.
func TestModuleRequest_Cluster(t *testing.T) {
	var r ModuleRequest
	if err := json.Unmarshal([]byte(`{"service_id":1,"client_id":2,"params":[],"cluster":"eu-2"}`), &r); err != nil {
		t.Fatal(err)
	}
	r.Config = &ProductSettings{}
	if r.Cluster != "eu-2" || r.Validate() != nil {
		t.Fatalf("cluster %q, validate %v", r.Cluster, r.Validate())
	}
	r = ModuleRequest{}
	if err := json.Unmarshal([]byte(`{"service_id":1,"client_id":2,"params":[]}`), &r); err != nil || r.Cluster != "" {
		t.Fatalf("no cluster: %q %v", r.Cluster, err)
	}
	r.Config = &ProductSettings{}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"EU-2", "-eu", "eu 2", strings.Repeat("a", 33), "eu/../x"} {
		r.Cluster = bad
		err := r.Validate()
		if staas.ErrorCode(err) != staas.EINVALID || !strings.Contains(staas.ErrorMessage(err), "Username") {
			t.Errorf("cluster %q: %v", bad, err)
		}
		if r.ValidateServer() == nil {
			t.Errorf("test-connection with cluster %q accepted", bad)
		}
	}
}
