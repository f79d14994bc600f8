package whmcsbridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// ProductSettings is a product's Module Settings (configoption1…9) as the
// shim sends them in a module request's "config": strings, "" for "not
// set". It is staas's one declaration of them: their meaning and ranges
// are checked by internal/provision (ProductConfig) before anything
// reaches the gateway; here only their presence and shape. The PHP
// module's ConfigOptions declares the same nine, in the same order, with
// the same friendly names (ProductSettingNames).
type ProductSettings struct {
	OpsDefault       string `json:"ops_default"`
	OpsGet           string `json:"ops_get"`
	OpsPut           string `json:"ops_put"`
	OpsList          string `json:"ops_list"`
	OpsDelete        string `json:"ops_delete"`
	BandwidthOut     string `json:"bandwidth_out"`
	QuotaGB          string `json:"quota_gb"`
	TerminateBuckets string `json:"terminate_buckets"`
	EmailTemplate    string `json:"email_template"`
}

// The settings' wire names: the keys of "config", and of the field errors
// that name a setting at fault.
const (
	SettingOpsDefault       = "ops_default"
	SettingOpsGet           = "ops_get"
	SettingOpsPut           = "ops_put"
	SettingOpsList          = "ops_list"
	SettingOpsDelete        = "ops_delete"
	SettingBandwidthOut     = "bandwidth_out"
	SettingQuotaGB          = "quota_gb"
	SettingTerminateBuckets = "terminate_buckets"
	SettingEmailTemplate    = "email_template"
)

// productSettings is every setting, in configoption order (configoption1
// first): its wire name, the friendly name WHMCS shows the admin, and
// where its value is kept. ProductSettingNames, Values and the decoder
// all read this one table.
var productSettings = [...]struct {
	wire, whmcs string
	field       func(*ProductSettings) *string
}{
	{SettingOpsDefault, "Ops limit: default (ops/s)", func(c *ProductSettings) *string { return &c.OpsDefault }},
	{SettingOpsGet, "Ops limit: GET (ops/s)", func(c *ProductSettings) *string { return &c.OpsGet }},
	{SettingOpsPut, "Ops limit: PUT (ops/s)", func(c *ProductSettings) *string { return &c.OpsPut }},
	{SettingOpsList, "Ops limit: LIST (ops/s)", func(c *ProductSettings) *string { return &c.OpsList }},
	{SettingOpsDelete, "Ops limit: DELETE (ops/s)", func(c *ProductSettings) *string { return &c.OpsDelete }},
	{SettingBandwidthOut, "Bandwidth limit: out (KB/s)", func(c *ProductSettings) *string { return &c.BandwidthOut }},
	{SettingQuotaGB, "User quota (GB)", func(c *ProductSettings) *string { return &c.QuotaGB }},
	{SettingTerminateBuckets, "Buckets left at termination", func(c *ProductSettings) *string { return &c.TerminateBuckets }},
	{SettingEmailTemplate, "S3 user email template", func(c *ProductSettings) *string { return &c.EmailTemplate }},
}

// ProductSetting names one Module Setting: on the wire (the shim's config
// key, the FieldErrors key) and in WHMCS (the friendly name the PHP
// module's ConfigOptions shows, which the admin sees).
type ProductSetting struct {
	Wire  string
	WHMCS string
}

// ProductSettingNames returns the nine Module Settings' names in
// configoption order (configoption1 first).
func ProductSettingNames() []ProductSetting {
	out := make([]ProductSetting, len(productSettings))
	for i, s := range productSettings {
		out[i] = ProductSetting{Wire: s.wire, WHMCS: s.whmcs}
	}
	return out
}

// Values returns the settings' values in configoption order, as
// ProductSettingNames names them.
func (c ProductSettings) Values() []string {
	out := make([]string, len(productSettings))
	for i, s := range productSettings {
		out[i] = *s.field(&c)
	}
	return out
}

// UnmarshalJSON requires every setting and refuses unknown ones: a shim
// that lost a setting on the way must not silently mean "unlimited".
// Values may be strings or numbers (PHP), and are kept as text; null is
// refused with every shim payload (CheckShimJSON).
func (c *ProductSettings) UnmarshalJSON(b []byte) error {
	var m map[string]FlexString
	if err := json.Unmarshal(b, &m); err != nil {
		return errors.New("config must be an object of the product's module settings (strings)")
	}
	var out ProductSettings
	known := map[string]bool{}
	for _, s := range productSettings {
		known[s.wire] = true
		v, ok := m[s.wire]
		if !ok {
			return fmt.Errorf("config lacks the setting %q (send \"\" when it is not set)", s.wire)
		}
		*s.field(&out) = string(v)
	}
	var unknown []string
	for k := range m {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("config has an unknown setting %.70q", unknown[0])
	}
	*c = out
	return nil
}
