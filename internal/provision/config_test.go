package provision_test

import (
	"strings"
	"testing"

	"staas"
	"staas/internal/provision"
)

func TestProductConfig_Validate(t *testing.T) {
	valid := []provision.ProductConfig{
		{},
		{OpsDefault: "0", OpsGet: "100", OpsPut: "50.5", OpsList: "0.25", OpsDelete: ".5", BandwidthOut: "2048", QuotaGB: "100",
			TerminateBuckets: "fail", EmailTemplate: "{local}+s3-{service_id}@{domain}"},
		{OpsGet: " 3600 ", QuotaGB: "0", TerminateBuckets: "purge"},
		{TerminateBuckets: "Purge", EmailTemplate: "s3-{client_id}-{service_id}@storage.example.net"},
		{OpsGet: "1000000000", BandwidthOut: "0", EmailTemplate: "svc{service_id}.{email}"},
	}
	for _, c := range valid {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}

	cases := []struct {
		cfg   provision.ProductConfig
		field string
		msg   string
	}{
		{provision.ProductConfig{OpsGet: "fast"}, "ops_get", `Module setting "Ops limit: GET (ops/s)" must be a number of operations per second, 0 or more (got "fast").`},
		{provision.ProductConfig{OpsDefault: "-1"}, "ops_default", `Module setting "Ops limit: default (ops/s)" must be a number of operations per second, 0 or more (got "-1").`},
		{provision.ProductConfig{OpsPut: "1e3"}, "ops_put", `"Ops limit: PUT (ops/s)" must be a number`},
		{provision.ProductConfig{OpsList: "NaN"}, "ops_list", `"Ops limit: LIST (ops/s)" must be a number`},
		{provision.ProductConfig{OpsDelete: "1.234"}, "ops_delete", `Module setting "Ops limit: DELETE (ops/s)" may have at most 2 decimals, as ostor keeps them (got "1.234").`},
		{provision.ProductConfig{OpsGet: "1000000000.01"}, "ops_get", `must be at most 1,000,000,000 operations per second (got "1000000000.01").`},
		{provision.ProductConfig{BandwidthOut: "1.5"}, "bandwidth_out", `Module setting "Bandwidth limit: out (KB/s)" must be a whole number of KB/s, 0 or more (got "1.5").`},
		{provision.ProductConfig{BandwidthOut: "-2"}, "bandwidth_out", `must be a whole number of KB/s`},
		{provision.ProductConfig{BandwidthOut: "99999999999999999999"}, "bandwidth_out", `more bandwidth than any link carries`},
		{provision.ProductConfig{QuotaGB: "10GB"}, "quota_gb", `Module setting "User quota (GB)" must be a whole number of GB, 0 or more (got "10GB").`},
		{provision.ProductConfig{QuotaGB: "99999999999"}, "quota_gb", `"User quota (GB)" must be at most 1,073,741,824 GB`},
		{provision.ProductConfig{TerminateBuckets: "delete"}, "terminate_buckets", `Module setting "Buckets left at termination" must be fail or purge (got "delete").`},
		{provision.ProductConfig{EmailTemplate: "{local}@{domain}"}, "email_template", `Module setting "S3 user email template" must contain {service_id}, so that each service gets its own S3 user`},
		{provision.ProductConfig{EmailTemplate: "{user}-{service_id}@{domain}"}, "email_template", `has an unknown placeholder {user}`},
		{provision.ProductConfig{EmailTemplate: "{local-{service_id}@{domain}"}, "email_template", `has a brace that is not part of a placeholder`},
		{provision.ProductConfig{EmailTemplate: "s3-{service_id}"}, "email_template", `does not make a valid email address (for client@example.com and service 1234 it makes "s3-1234")`},
		{provision.ProductConfig{EmailTemplate: "Zoe <{local}+{service_id}@{domain}>"}, "email_template", `does not make a valid email address`},
		{provision.ProductConfig{EmailTemplate: strings.Repeat("a", 250) + "{service_id}@x.example"}, "email_template", `is longer than 255 characters`},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		if staas.ErrorCode(err) != staas.EINVALID {
			t.Errorf("%+v: %v, want %s", c.cfg, err, staas.EINVALID)
			continue
		}
		if !strings.Contains(staas.ErrorMessage(err), c.msg) {
			t.Errorf("%+v: message %q, want it to say %q", c.cfg, staas.ErrorMessage(err), c.msg)
		}
		f := provision.Fields(err)
		if len(f) != 1 || !strings.Contains(f[c.field], c.msg) {
			t.Errorf("%+v: field errors %v, want only %s", c.cfg, map[string]string(f), c.field)
		}
	}

	// Several wrong settings: each is named, in the module's order.
	err := provision.ProductConfig{QuotaGB: "x", OpsGet: "y", TerminateBuckets: "z"}.Validate()
	msg := staas.ErrorMessage(err)
	get, quota, term := strings.Index(msg, `"Ops limit: GET`), strings.Index(msg, `"User quota`), strings.Index(msg, `"Buckets left`)
	if get < 0 || quota < get || term < quota || len(provision.Fields(err)) != 3 {
		t.Errorf("message %q, fields %v: want all three, in configoption order", msg, map[string]string(provision.Fields(err)))
	}
}

func TestProductConfig_Email(t *testing.T) {
	cases := []struct {
		template, client string
		want             string
	}{
		{"", "zoe@example.com", "zoe+s3-1234@example.com"},
		{"{local}+s3-{service_id}@{domain}", "zoë@example.com", "zoë+s3-1234@example.com"},
		{"s3-{client_id}-{service_id}@storage.example.net", "zoe@example.com", "s3-42-1234@storage.example.net"},
		{"svc{service_id}.{email}", "zoe@example.com", "svc1234.zoe@example.com"},
		// The last @ splits: a quoted local part with an @ stays whole.
		{"", `"zoe@home"@example.com`, `"zoe@home+s3-1234"@example.com`},
	}
	for _, c := range cases {
		got, err := provision.ProductConfig{EmailTemplate: c.template}.Email(c.client, 1234, 42)
		if c.want == `"zoe@home+s3-1234"@example.com` {
			// Not a bare address ostor takes: refused, not sent.
			if staas.ErrorCode(err) != staas.EINVALID {
				t.Errorf("%q from %q: %q, %v; want refused", c.template, c.client, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q from %q = %q, %v; want %q", c.template, c.client, got, err, c.want)
		}
	}

	for _, c := range []struct {
		template, client string
		msg              string
	}{
		{"", "", `WHMCS client 42's email address "" has no local part and domain`},
		{"", "zoe", `has no local part and domain`},
		{"", "@example.com", `has no local part and domain`},
		{"", "zoe@", `has no local part and domain`},
		{"", "zo e@example.com", `which is not a valid email address for an S3 user`},
		{"", strings.Repeat("z", 240) + "@example.com", `which is not a valid email address`},
		{"{local}@{domain}", "zoe@example.com", `must contain {service_id}`},
	} {
		_, err := provision.ProductConfig{EmailTemplate: c.template}.Email(c.client, 1234, 42)
		if staas.ErrorCode(err) != staas.EINVALID || !strings.Contains(staas.ErrorMessage(err), c.msg) {
			t.Errorf("%q from %q: %v; want EINVALID saying %q", c.template, c.client, err, c.msg)
		}
	}
	if _, err := (provision.ProductConfig{}).Email("zoe@example.com", 0, 42); staas.ErrorCode(err) != staas.EINVALID {
		t.Errorf("service 0: %v", err)
	}
}
