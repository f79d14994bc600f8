package whmcsbridge

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"staas"
)

// The fields each reseller action takes are the fixture's, which the PHP
// shim's test reads too: the two sides forward and accept the same.
func TestResellerActionFieldsMatchTheFixture(t *testing.T) {
	var want map[string][]string
	if err := json.Unmarshal(readFixture(t, "admin/reseller_params.json"), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, ResellerActionFields) {
		t.Fatalf("ResellerActionFields %v, fixture %v", ResellerActionFields, want)
	}
}

func TestResellerRequestValidate(t *testing.T) {
	good := func() ResellerRequest {
		return ResellerRequest{Admin: staas.Admin{ID: 7, Permissions: []string{PermManageResellers}}, ActionURL: "addonmodules.php?module=staas_resellers",
			Token: "abcdef0123456789", FormToken: "abcdef0123456789", Action: "assign", Params: map[string]string{"id": "3", "source-kind": "group", "source-value": "4"}}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good request: %v", err)
	}
	for name, c := range map[string]struct {
		edit func(*ResellerRequest)
		want string
	}{
		"no admin":          {func(r *ResellerRequest) { r.Admin.ID = 0 }, "admin.id"},
		"javascript action": {func(r *ResellerRequest) { r.ActionURL = "javascript:alert(1)" }, "action_url"},
		"no token":          {func(r *ResellerRequest) { r.Token = "" }, "token"},
		"unknown action":    {func(r *ResellerRequest) { r.Action = "delete-all" }, "not a reseller action"},
		"foreign field":     {func(r *ResellerRequest) { r.Params["password"] = "x" }, "not a field"},
		"field on the page": {func(r *ResellerRequest) { r.Action = ""; r.Params = map[string]string{"id": "1"} }, "not a field"},
		"control in token":  {func(r *ResellerRequest) { r.FormToken = "a\nb" }, "form_token"},
	} {
		r := good()
		c.edit(&r)
		err := r.Validate()
		if staas.ErrorCode(err) != staas.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want EINVALID saying %q", name, err, c.want)
		}
	}
	// A missing form token is the handler's CSRF refusal, not a protocol error.
	r := good()
	r.FormToken = ""
	if err := r.Validate(); err != nil {
		t.Fatalf("an empty form_token: %v", err)
	}
}
