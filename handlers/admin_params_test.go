package handlers

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"testing"
)

var updateFixtures = flag.Bool("update", false, "rewrite whmcsbridge/testdata/shim/admin/action_params.json from actionParams")

const actionParamsFixture = "../whmcsbridge/testdata/shim/admin/action_params.json"

// Every admin action says which fields it takes, and the PHP addon, which
// forwards only those, reads the same list from the fixture
// (php-shim/tests: AdminAreaTest compares AdminEndpoint::ACTION_FIELDS
// with it). A new action or form field must be added to both.
func TestActionParams_CoverEveryActionAndMatchTheFixture(t *testing.T) {
	for name := range adminActions {
		if _, ok := actionParams[name]; !ok {
			t.Errorf("action %s has no entry in actionParams: it would get no parameters", name)
		}
	}
	for name := range actionParams {
		if _, ok := adminActions[name]; !ok {
			t.Errorf("actionParams lists %s, which is no action", name)
		}
	}
	want := map[string][]string{}
	for name, fields := range actionParams {
		f := slices.Clone(fields)
		if f == nil {
			f = []string{}
		}
		slices.Sort(f)
		want[name] = f
	}
	b, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *updateFixtures {
		if err := os.WriteFile(actionParamsFixture, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(actionParamsFixture)
	if err != nil {
		t.Fatalf("%v (run go test ./handlers -run TestActionParams -update)", err)
	}
	if !bytes.Equal(got, b) {
		t.Errorf("%s is not actionParams (run go test ./handlers -run TestActionParams -update, then update AdminEndpoint::ACTION_FIELDS):\n%s", actionParamsFixture, b)
	}
}

// Destructive actions are confirmed by posting their fields back with
// confirm=yes, so each must take "confirm".
func TestActionParams_DestructiveActionsTakeConfirm(t *testing.T) {
	for name, act := range adminActions {
		if act.destructive && !slices.Contains(actionParams[name], "confirm") {
			t.Errorf("destructive action %s does not take confirm", name)
		}
	}
}
