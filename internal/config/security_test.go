package config

import (
	"strings"
	"testing"
	"time"
)

// The defaults of a new install: timeouts on every phase of a
// connection, no trusted proxy, no monitoring token, a readiness cache,
// and client notes without the secret.
func TestLoad_SecurityDefaults(t *testing.T) {
	c, err := Load(env(minimal()))
	if err != nil {
		t.Fatal(err)
	}
	h := c.HTTP
	if h.ReadTimeout != 30*time.Second || h.WriteTimeout != 2*time.Minute || h.IdleTimeout != 60*time.Second {
		t.Errorf("timeouts = %+v", h)
	}
	if len(h.TrustedProxies) != 0 || h.MonitorToken != "" || h.ReadyCache != 5*time.Second {
		t.Errorf("HTTP = %+v", h)
	}
	if c.WHMCS.NotesWithSecret {
		t.Error("notes carry the secret by default")
	}
}

func TestLoad_SecuritySettings(t *testing.T) {
	m := minimal()
	m["STAAS_TRUSTED_PROXIES"] = " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32"
	m["STAAS_MONITOR_TOKEN"] = strings.Repeat("t", 32)
	m["STAAS_READY_CACHE"] = "0s"
	m["STAAS_NOTES_WITH_SECRET"] = "true"
	m["STAAS_HTTP_READ_TIMEOUT"] = "5s"
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range c.HTTP.TrustedProxies {
		got = append(got, n.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 192.0.2.7/32 2001:db8::/32" {
		t.Errorf("trusted proxies = %v", got)
	}
	if c.HTTP.MonitorToken.Reveal() != strings.Repeat("t", 32) || c.HTTP.ReadyCache != 0 || !c.WHMCS.NotesWithSecret || c.HTTP.ReadTimeout != 5*time.Second {
		t.Errorf("config = %+v", c.HTTP)
	}
	for name, val := range map[string]string{
		"STAAS_TRUSTED_PROXIES":   "10.0.0.0/33",
		"STAAS_MONITOR_TOKEN":     "short",
		"STAAS_READY_CACHE":       "-1s",
		"STAAS_NOTES_WITH_SECRET": "maybe",
		"STAAS_HTTP_IDLE_TIMEOUT": "0s",
	} {
		m := minimal()
		m[name] = val
		if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v, want an error naming it", name, val, err)
		}
	}
}
