package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func minimal() map[string]string {
	return map[string]string{
		"STAAS_OSTOR_ENDPOINT":   "http://127.0.0.1:9000/",
		"STAAS_OSTOR_ACCESS_KEY": "a14040e0b2ef8b28FZZ8",
		"STAAS_OSTOR_SECRET_KEY": "topsecretvalue-never-logged",
		"STAAS_SHIM_SECRET":      "0123456789abcdef0123456789abcdef-shim",
		"STAAS_WHMCS_MODE":       "mysql",
		"STAAS_WHMCS_DB_DSN":     "whmcs:pw@tcp(127.0.0.1:3306)/whmcs",
	}
}

func TestLoad_Defaults(t *testing.T) {
	c, err := Load(env(minimal()))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.ListenAddr, "127.0.0.1:8080"; got != want {
		t.Errorf("ListenAddr = %q, want %q", got, want)
	}
	if got, want := c.Ostor.Endpoint, "http://127.0.0.1:9000"; got != want {
		t.Errorf("Endpoint = %q, want trailing slash trimmed %q", got, want)
	}
	if c.Ostor.Signature != "v2" || c.Ostor.Region != "us-east-1" || c.Ostor.Timeout != 15*time.Second {
		t.Errorf("cluster defaults = %+v", c.Ostor)
	}
	if c.LogFormat != "text" || c.LogLevel != slog.LevelInfo || c.ShutdownTimeout != 10*time.Second {
		t.Errorf("process defaults = %+v", c)
	}
	if got := c.Ostor.SecretKey.Reveal(); got != "topsecretvalue-never-logged" {
		t.Errorf("Reveal = %q", got)
	}
	if c.Usage != (Usage{Interval: time.Hour, Delete: true, SampleInterval: time.Hour}) {
		t.Errorf("usage defaults = %+v", c.Usage)
	}
	if c.Hooks != (Hooks{CreateOnClientAdd: false, ClientDelete: "disable"}) || c.Ostor.S3Endpoint != "" {
		t.Errorf("hooks defaults = %+v, S3 endpoint %q", c.Hooks, c.Ostor.S3Endpoint)
	}
}

func TestLoad_HooksAndS3Endpoint(t *testing.T) {
	m := minimal()
	m["STAAS_CREATE_ON_CLIENT_ADD"] = "true"
	m["STAAS_CLIENT_DELETE"] = "delete"
	m["STAAS_OSTOR_S3_ENDPOINT"] = "https://s3-data.example.com/"
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Hooks.CreateOnClientAdd || c.Hooks.ClientDelete != "delete" || c.Ostor.S3Endpoint != "https://s3-data.example.com" {
		t.Errorf("hooks %+v, S3 endpoint %q", c.Hooks, c.Ostor.S3Endpoint)
	}
	for name, v := range map[string]string{
		"STAAS_CREATE_ON_CLIENT_ADD": "yes please",
		"STAAS_CLIENT_DELETE":        "purge",
		"STAAS_OSTOR_S3_ENDPOINT":    "s3.example.com",
	} {
		m := minimal()
		m[name] = v
		if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v does not name the variable", name, v, err)
		}
	}
	m = minimal()
	m["STAAS_OSTOR_S3_ENDPOINT"] = "https://s3.example.com/bucket"
	if _, err := Load(env(m)); err == nil {
		t.Error("an S3 endpoint with a path was accepted")
	}
}

// staas collect needs the gateway, the store and the usage settings, not
// the shim's secret or WHMCS.
func TestLoadCollect(t *testing.T) {
	m := map[string]string{
		"STAAS_OSTOR_ENDPOINT":   "http://127.0.0.1:9000",
		"STAAS_OSTOR_ACCESS_KEY": "a14040e0b2ef8b28FZZ8",
		"STAAS_OSTOR_SECRET_KEY": "s",
		"STAAS_USAGE_DELETE":     "false",
	}
	c, err := LoadCollect(env(m))
	if err != nil {
		t.Fatal(err)
	}
	if c.Usage.Delete || c.Usage.Interval != time.Hour || c.Store.Driver != "sqlite" || c.Ostor.Endpoint != "http://127.0.0.1:9000" {
		t.Errorf("config %+v", c)
	}
	m["STAAS_USAGE_INTERVAL"] = "0s"
	m["STAAS_STORAGE_SAMPLE_INTERVAL"] = "soon"
	m["STAAS_USAGE_DELETE"] = "perhaps"
	_, err = LoadCollect(env(m))
	for _, w := range []string{"STAAS_USAGE_INTERVAL", "STAAS_STORAGE_SAMPLE_INTERVAL", "STAAS_USAGE_DELETE"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not name %s", err, w)
		}
	}
}

func TestLoad_ErrorsNameTheVariable(t *testing.T) {
	tests := map[string]struct {
		set  map[string]string
		want []string
	}{
		"missing required": {set: map[string]string{},
			want: []string{"STAAS_OSTOR_ENDPOINT is required", "STAAS_OSTOR_ACCESS_KEY is required", "STAAS_OSTOR_SECRET_KEY is required"}},
		"bad endpoint":      {set: map[string]string{"STAAS_OSTOR_ENDPOINT": "s3.example.com"}, want: []string{`STAAS_OSTOR_ENDPOINT="s3.example.com": want an http:// or https:// URL`}},
		"endpoint query":    {set: map[string]string{"STAAS_OSTOR_ENDPOINT": "http://h/?ostor-users"}, want: []string{"STAAS_OSTOR_ENDPOINT", "without credentials, path, query"}},
		"endpoint path":     {set: map[string]string{"STAAS_OSTOR_ENDPOINT": "http://h/admin"}, want: []string{"STAAS_OSTOR_ENDPOINT", "without credentials, path, query"}},
		"bad signature":     {set: map[string]string{"STAAS_OSTOR_SIGNATURE": "v3"}, want: []string{`STAAS_OSTOR_SIGNATURE="v3": want v2 or v4`}},
		"bad timeout":       {set: map[string]string{"STAAS_OSTOR_TIMEOUT": "-1s"}, want: []string{"STAAS_OSTOR_TIMEOUT", "positive duration"}},
		"short shim secret": {set: map[string]string{"STAAS_SHIM_SECRET": "short"}, want: []string{"STAAS_SHIM_SECRET=[redacted]: want at least 32 characters"}},
		"api mode needs credentials": {set: map[string]string{"STAAS_WHMCS_MODE": "api", "STAAS_WHMCS_DB_DSN": ""},
			want: []string{"STAAS_WHMCS_API_URL is required when STAAS_WHMCS_MODE=api", "STAAS_WHMCS_API_SECRET is required"}},
		"mysql mode needs a DSN": {set: map[string]string{"STAAS_WHMCS_DB_DSN": ""}, want: []string{"STAAS_WHMCS_DB_DSN is required when STAAS_WHMCS_MODE=mysql"}},
		"bad store driver":       {set: map[string]string{"STAAS_STORE_DRIVER": "postgres"}, want: []string{"STAAS_STORE_DRIVER", "want sqlite or mysql"}},
		"bad format":             {set: map[string]string{"STAAS_LOG_FORMAT": "xml"}, want: []string{"STAAS_LOG_FORMAT"}},
		"bad level":              {set: map[string]string{"STAAS_LOG_LEVEL": "loud"}, want: []string{"STAAS_LOG_LEVEL"}},
		"bad addr":               {set: map[string]string{"STAAS_LISTEN_ADDR": "8080"}, want: []string{"STAAS_LISTEN_ADDR", "host:port"}},
		"bad bool":               {set: map[string]string{"STAAS_OSTOR_UNSIGNED_PAYLOAD_HEADER": "maybe"}, want: []string{"STAAS_OSTOR_UNSIGNED_PAYLOAD_HEADER"}},
		"both file and value": {set: map[string]string{"STAAS_OSTOR_SECRET_KEY_FILE": "/nonexistent"},
			want: []string{"STAAS_OSTOR_SECRET_KEY and STAAS_OSTOR_SECRET_KEY_FILE are both set"}},
		"unreadable file": {set: map[string]string{"STAAS_OSTOR_SECRET_KEY": "", "STAAS_OSTOR_ACCESS_KEY_FILE": "/nonexistent/key"},
			want: []string{"STAAS_OSTOR_ACCESS_KEY_FILE"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m := minimal()
			if name == "missing required" {
				m = map[string]string{}
			}
			for k, v := range tt.set {
				m[k] = v
			}
			_, err := Load(env(m))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoad_FileVariant(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := minimal()
	delete(m, "STAAS_OSTOR_SECRET_KEY")
	m["STAAS_OSTOR_SECRET_KEY_FILE"] = path
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Ostor.SecretKey.Reveal(), "from-a-file"; got != want {
		t.Errorf("secret = %q, want %q (trailing newline trimmed)", got, want)
	}
}

// A bad secret value must not be echoed back in the error either.
func TestLoad_SecretNeverInError(t *testing.T) {
	m := minimal()
	m["STAAS_OSTOR_SECRET_KEY"] = "abc"
	m["STAAS_OSTOR_SIGNATURE"] = "v9"
	_, err := Load(env(m))
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("err = %v", err)
	}
}

func TestSecret_NeverPrinted(t *testing.T) {
	c, err := Load(env(minimal()))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c, "secret", c.Ostor.SecretKey)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "cluster", c.Ostor)
	fmt.Fprintf(&buf, "%v %+v %#v %s", c, c, c, c.Ostor.SecretKey)
	if strings.Contains(buf.String(), "topsecretvalue") {
		t.Fatalf("secret leaked into output:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "[redacted]") {
		t.Fatalf("want [redacted] in output:\n%s", buf.String())
	}
}

// The README documents every variable; this keeps the table honest.
func TestReadmeListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		row := "| `" + v.Name + "` |"
		if !bytes.Contains(b, []byte(row)) {
			t.Errorf("README.md has no table row starting %q", row)
		}
	}
}
