package handlers

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"staas"
	"staas/views"
)

// memPanels is a PanelStore in memory, holding the stored values as the
// store does: opaque strings.
type memPanels map[string]string

func (m memPanels) Panels(_ context.Context, _, _ int64) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out, nil
}

func (m memPanels) SetPanel(_ context.Context, _, _ int64, panel, params string) error {
	m[panel] = params
	return nil
}

func (m memPanels) HidePanel(_ context.Context, _, _ int64, panel string) error {
	delete(m, panel)
	return nil
}

func (m memPanels) TakeFlashes(context.Context, int64, int64) ([]staas.Flash, error) { return nil, nil }

// The rows an install upgraded from the string codec holds still decode,
// every kind of them: panels with their subject and cursor, kept forms
// with their field errors, the pending confirmation with its parameters,
// and a client's reveal.
func TestPanelState_OldStoredValuesDecode(t *testing.T) {
	old := map[string]string{
		views.PanelUsers:        "page=3&q=ali",
		views.PanelBuckets:      "",
		views.PanelStats:        "after=s3-usage-1",
		views.PanelBucketLimits: "bucket=photos",
		views.PanelObject:       "object=s3-usage-2&scope=all",
		views.PanelQuotas:       "quota-of=bucket%3Aphotos",
		views.PanelUsage:        "days=90",
		views.PanelAudit:        "before=42",
		views.PanelUser:         "reveal=AKID",
		formQuota:               "err.quota-gb=Enter+a+whole+number&quota-gb=x&quota-of=user",
		stateConfirm:            "action=purge-bucket&bucket=photos&confirm.at=staas-panel-buckets&confirm.error=Type+it&confirm.type=photos&question=Empty%3F",
		"client-area:7":         "reveal=AKID2",
	}
	want := map[string]panelState{
		views.PanelUsers:        {Query: "ali", Page: 3},
		views.PanelBuckets:      {},
		views.PanelStats:        {After: "s3-usage-1"},
		views.PanelBucketLimits: {Bucket: "photos"},
		views.PanelObject:       {Object: "s3-usage-2", Scope: "all"},
		views.PanelQuotas:       {QuotaOf: "bucket:photos"},
		views.PanelUsage:        {Days: 90},
		views.PanelAudit:        {Before: 42},
		views.PanelUser:         {Reveal: "AKID"},
		formQuota: {Form: &keptForm{Input: map[string]string{"quota-gb": "x", "quota-of": "user"},
			Errors: map[string]string{"quota-gb": "Enter a whole number"}}},
		stateConfirm: {Confirm: &pendingConfirm{Action: "purge-bucket", Question: "Empty?", At: "staas-panel-buckets",
			TypeToConfirm: "photos", Error: "Type it", Params: map[string]string{"bucket": "photos"}}},
		"client-area:7": {Reveal: "AKID2"},
	}
	book := panelBook{memPanels(old)}
	got, err := book.Panels(context.Background(), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		for k := range want {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s: %q decodes to %+v, want %+v", k, old[k], got[k], want[k])
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d panels decoded, want %d", len(got), len(want))
		}
	}
}

// What is stored now is JSON, one encoder, and it reads back as written.
func TestPanelState_StoredAsJSONAndReadBack(t *testing.T) {
	m := memPanels{}
	book := panelBook{m}
	ctx := context.Background()
	states := map[string]panelState{
		views.PanelUsers:  {Query: "a&b=c", Page: 2},
		views.PanelAudit:  {Before: 9},
		formObject:        {Form: &keptForm{Input: map[string]string{"object": "{x}"}, Errors: map[string]string{"object": "No."}}},
		stateConfirm:      {Confirm: &pendingConfirm{Action: "delete-user", Params: map[string]string{"err.x": "kept as a parameter"}}},
		views.PanelObject: {Object: "s3-usage-3", Scope: "client"},
	}
	for name, s := range states {
		if err := book.Set(ctx, 1, 1, name, s); err != nil {
			t.Fatal(err)
		}
	}
	for name, stored := range m {
		if !strings.HasPrefix(stored, "{") {
			t.Errorf("%s is stored as %q, not JSON", name, stored)
		}
	}
	got, err := book.Panels(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, states) {
		t.Errorf("read back %+v\nwant %+v", got, states)
	}
	// A value that is neither leaves the panel on, with no subject.
	m[views.PanelStats] = "{broken"
	if got, _ := book.Panels(ctx, 1, 1); !reflect.DeepEqual(got[views.PanelStats], panelState{}) {
		t.Errorf("a broken value reads as %+v", got[views.PanelStats])
	}
}
