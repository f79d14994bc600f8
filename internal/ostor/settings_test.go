package ostor

import (
	"context"
	"strings"
	"testing"

	"staas"
	"staas/standin/ostorsim"
)

// The documented defaults (7.0 get-service-ostor-settings) read back, each
// documented bound is accepted, and a value outside a range or an unknown
// name is refused before anything is sent.
func TestSettings(t *testing.T) {
	ctx := context.Background()
	for _, sig := range []string{"v2", "v4"} {
		t.Run(sig, func(t *testing.T) {
			e := newSimEnv(t, ostorsim.Options{}, func(c *Config) { c.Signature = sig })
			s, err := e.c.Settings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := Settings{OSMaxCount: 100, OSMaxSizeGB: 1000, AutosplitEnabled: true, AutosplitMaxActive: 1, DefaultCORSEnabled: true}
			if *s != want {
				t.Fatalf("defaults %+v, want %+v", *s, want)
			}
			for name, r := range SettingRanges {
				for _, v := range []uint64{r.Min, r.Max} {
					if err := e.c.SetSetting(ctx, name, v); err != nil {
						t.Fatalf("%s=%d: %v", name, v, err)
					}
					if got := e.sim.Settings()[name]; got != v {
						t.Fatalf("%s is %d on the gateway, want %d", name, got, v)
					}
				}
			}
			if err := e.c.SetSetting(ctx, "ostor.default_cors.enabled", 0); err != nil {
				t.Fatal(err)
			}
			if err := e.c.SetSetting(ctx, "OS.max_size", 250); err != nil {
				t.Fatal(err)
			}
			if s, err = e.c.Settings(ctx); err != nil || s.DefaultCORSEnabled || s.OSMaxSizeGB != 250 {
				t.Fatalf("after setting: %+v, %v", s, err)
			}
			before := e.sim.Requests()
			for _, bad := range []struct {
				name  string
				value uint64
			}{
				{"OS.max_count", 0}, {"OS.max_count", 65537}, {"OS.max_size", 0}, {"OS.max_size", 16001},
				{"cfg.autosplit.enabled", 2}, {"cfg.autosplit.max_active", 1<<31 + 1}, {"ostor.default_cors.enabled", 2},
				{"os.max_count", 5}, {"", 1}, {"OS.max_count&value=1", 1},
			} {
				err := e.c.SetSetting(ctx, bad.name, bad.value)
				if staas.ErrorCode(err) != staas.EINVALID {
					t.Errorf("%q=%d: %v, want EINVALID", bad.name, bad.value, err)
				}
			}
			if n := e.sim.Requests() - before; n != 0 {
				t.Errorf("bad settings sent %d requests", n)
			}
		})
	}
}

func TestDecodeSettings(t *testing.T) {
	// The reference's example; strings of digits are taken too.
	s, err := DecodeSettings(strings.NewReader(`{"OS.max_count": 100, "OS.max_size": "1000", "cfg.autosplit.enabled": 1, "cfg.autosplit.max_active": 1, "ostor.default_cors.enabled": 0}`))
	if err != nil {
		t.Fatal(err)
	}
	if *s != (Settings{OSMaxCount: 100, OSMaxSizeGB: 1000, AutosplitEnabled: true, AutosplitMaxActive: 1}) {
		t.Errorf("%+v", *s)
	}
	for _, bad := range []string{
		`{"OS.max_count": 100, "OS.max_size": 1000, "cfg.autosplit.enabled": 1, "cfg.autosplit.max_active": 1}`,
		`{"OS.max_count": 100, "OS.max_size": 1000, "cfg.autosplit.enabled": 2, "cfg.autosplit.max_active": 1, "ostor.default_cors.enabled": 0}`,
		`{"OS.max_count": -1, "OS.max_size": 1000, "cfg.autosplit.enabled": 1, "cfg.autosplit.max_active": 1, "ostor.default_cors.enabled": 0}`,
		`[]`,
	} {
		if _, err := DecodeSettings(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
