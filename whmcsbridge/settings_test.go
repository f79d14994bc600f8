package whmcsbridge

import (
	"reflect"
	"strings"
	"testing"
)

func TestProductSettingNames_InConfigOptionOrder(t *testing.T) {
	var got []string
	for _, s := range ProductSettingNames() {
		got = append(got, s.Wire+"="+s.WHMCS)
	}
	want := []string{
		"ops_default=Ops limit: default (ops/s)",
		"ops_get=Ops limit: GET (ops/s)",
		"ops_put=Ops limit: PUT (ops/s)",
		"ops_list=Ops limit: LIST (ops/s)",
		"ops_delete=Ops limit: DELETE (ops/s)",
		"bandwidth_out=Bandwidth limit: out (KB/s)",
		"quota_gb=User quota (GB)",
		"terminate_buckets=Buckets left at termination",
		"email_template=S3 user email template",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("settings\n%s\nwant (the PHP module's configoption1..9)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestProductSettings_OneTable: the struct's JSON names, the table's wire
// names and Values agree field by field, so the table cannot drift from
// the type it describes.
func TestProductSettings_OneTable(t *testing.T) {
	typ := reflect.TypeFor[ProductSettings]()
	if typ.NumField() != len(productSettings) {
		t.Fatalf("ProductSettings has %d fields, the table %d settings", typ.NumField(), len(productSettings))
	}
	var c ProductSettings
	v := reflect.ValueOf(&c).Elem()
	for i, s := range productSettings {
		if tag := typ.Field(i).Tag.Get("json"); tag != s.wire {
			t.Errorf("field %d %s has json name %q, the table says %q", i, typ.Field(i).Name, tag, s.wire)
		}
		v.Field(i).SetString(s.wire + "-value")
	}
	for i, got := range c.Values() {
		if want := productSettings[i].wire + "-value"; got != want {
			t.Errorf("Values()[%d] = %q, want %q", i, got, want)
		}
	}
}
