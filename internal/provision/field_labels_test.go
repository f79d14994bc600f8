package provision

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestEveryFormFieldHasItsLabel: a refused form's flash and audit row name
// each wrong field as the form labels it. The quota form's choice had no
// label here, so an admin who pressed Get without choosing read
// "quota-of: Choose the S3 user or one of the client's buckets." — the
// form's internal field name. Every field an admin action takes (the
// shared action_params fixture, the list the PHP addon forwards) that a
// form can refuse must have one.
func TestEveryFormFieldHasItsLabel(t *testing.T) {
	raw, err := os.ReadFile("../../whmcsbridge/testdata/shim/admin/action_params.json")
	if err != nil {
		t.Fatalf("the action parameters fixture: %v", err)
	}
	var params map[string][]string
	if err := json.Unmarshal(raw, &params); err != nil {
		t.Fatal(err)
	}
	// Fields no form shows as a field the admin fills: the confirmation's
	// yes, the typed name (its refusal is a sentence of its own), and the
	// buttons' page, panel, period, scope and from values.
	notFilled := map[string]bool{"confirm": true, "confirm-name": true, "panel": true, "page": true, "days": true, "before": true, "scope": true, "from": true}
	seen := 0
	for action, fields := range params {
		for _, f := range fields {
			if notFilled[f] {
				continue
			}
			seen++
			if fieldLabel(f) == f {
				t.Errorf("%s's field %q has no label: a refusal would show the raw name", action, f)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no fields read from the fixture")
	}
	err = fieldsError(FieldErrors{"quota-of": "Choose the S3 user or one of the client's buckets."})
	if msg := err.Error(); !strings.Contains(msg, "Quota of: Choose") {
		t.Errorf("the refusal reads %q, want it to name the field \"Quota of\"", msg)
	}
}
