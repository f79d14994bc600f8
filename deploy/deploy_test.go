// Package deploy_test checks the files the README's "Deploy" section tells
// an admin to install: the systemd unit, the nginx site and the example
// environment file. Each is checked by the tool that will read it (the
// tools come from scripts/test.sh, which installs them as root); a missing
// tool fails the test, it never skips it.
package deploy_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"staas/internal/config"
)

// tool returns the path of a command the test needs, or fails saying which
// Debian package provides it.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	t.Fatalf("%s is missing: install the Debian package %s (scripts/test.sh does, as root)", name, pkg)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// unitKeys returns the key=value lines of one section of a unit file, each
// key with all its values in order.
func unitKeys(unit, section string) map[string][]string {
	keys := map[string][]string{}
	in := false
	sc := bufio.NewScanner(strings.NewReader(unit))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			in = line == "["+section+"]"
		case in:
			k, v, _ := strings.Cut(line, "=")
			keys[k] = append(keys[k], v)
		}
	}
	return keys
}

// The unit parses without a single complaint from systemd, keeps the
// hardening the README promises, and rates "OK" in systemd's own
// exposure analysis.
func TestServiceUnit(t *testing.T) {
	analyze := tool(t, "systemd-analyze", "systemd")
	unit := readFile(t, "staas.service")

	svc := unitKeys(unit, "Service")
	for key, want := range map[string]string{
		"ExecStart":        "/usr/local/bin/staas serve",
		"EnvironmentFile":  "/etc/staas/staas.env",
		"StateDirectory":   "staas",
		"WorkingDirectory": "/var/lib/staas",
		"DynamicUser":      "yes",
		"NoNewPrivileges":  "yes",
		"ProtectSystem":    "strict",
		"ProtectHome":      "yes",
		"PrivateTmp":       "yes",
		"UMask":            "0077",
		"Restart":          "on-failure",
	} {
		if got := svc[key]; len(got) != 1 || got[0] != want {
			t.Errorf("[Service] %s = %q, want %q", key, got, want)
		}
	}
	if got := unitKeys(unit, "Install")["WantedBy"]; len(got) != 1 || got[0] != "multi-user.target" {
		t.Errorf("[Install] WantedBy = %q", got)
	}

	// systemd-analyze wants ExecStart's program to exist: a stand-in takes
	// its place in a copy of the unit.
	dir := t.TempDir()
	bin := filepath.Join(dir, "staas")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "staas.service")
	if err := os.WriteFile(copyPath, []byte(strings.ReplaceAll(unit, "/usr/local/bin/staas", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits 0 even for an unknown key or a bad value ("…,
	// ignoring"), so any output at all is a failure.
	out, err := exec.Command(analyze, "verify", "--man=no", copyPath).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Exposure 0.0 (locked down) to 10.0 (none); 2.0 and under is "OK".
	out, err = exec.Command(analyze, "security", "--offline=yes", "--threshold=20", "--no-pager", copyPath).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security rates the unit above 2.0 (%v):\n%s", err, out)
	}
}

// The nginx site passes `nginx -t` inside a minimal nginx.conf, with a
// throwaway certificate in place of the real one, without a warning.
func TestNginxSite(t *testing.T) {
	nginx := tool(t, "nginx", "nginx")
	openssl := tool(t, "openssl", "openssl")
	dir := t.TempDir()

	site := readFile(t, "nginx/staas.conf")
	for _, path := range []string{"/etc/ssl/staas/fullchain.pem", "/etc/ssl/staas/privkey.pem", "/var/log/nginx/"} {
		if !strings.Contains(site, path) {
			t.Fatalf("the site no longer names %s; update this test with it", path)
		}
	}
	site = strings.NewReplacer(
		"/etc/ssl/staas/", dir+"/",
		"/var/log/nginx/", dir+"/",
	).Replace(site)
	if err := os.WriteFile(filepath.Join(dir, "staas.conf"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
		"-subj", "/CN=staas.example.com",
		"-keyout", filepath.Join(dir, "privkey.pem"), "-out", filepath.Join(dir, "fullchain.pem")).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	conf := strings.ReplaceAll(`pid DIR/nginx.pid;
error_log stderr;
events {}
http {
    client_body_temp_path DIR/body;
    proxy_temp_path DIR/proxy;
    fastcgi_temp_path DIR/fastcgi;
    uwsgi_temp_path DIR/uwsgi;
    scgi_temp_path DIR/scgi;
    access_log off;
    include DIR/staas.conf;
}
`, "DIR", dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(nginx, "-t", "-p", dir, "-e", "stderr", "-c", filepath.Join(dir, "nginx.conf")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "test is successful") {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	// A non-root run warns that "user" is ignored; nothing else may warn.
	for _, line := range strings.Split(string(out), "\n") {
		if (strings.Contains(line, "[warn]") || strings.Contains(line, "[emerg]")) && !strings.Contains(line, `"user" directive makes sense only`) {
			t.Errorf("nginx -t: %s", line)
		}
	}
}

// The example environment file (.env.example, installed as
// /etc/staas/staas.env) is one both readers take: the shell (`set -a; .
// ./.env`) and systemd's EnvironmentFile=, which read the same values; and
// staas accepts the configuration it holds.
func TestEnvExample(t *testing.T) {
	const file = "../.env.example"
	text := readFile(t, file)

	// systemd's reading: KEY=VALUE lines, # comments, a value in single
	// or double quotes loses them.
	systemd := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(k, "STAAS_") {
			t.Fatalf("%s:%d: %q is not a STAAS_ variable", file, n, line)
		}
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		} else if strings.ContainsAny(v, "'\"\\$`()&;|<> ") {
			t.Errorf("%s:%d: %s's value needs quotes for the shell", file, n, k)
		}
		systemd[k] = v
	}

	// The shell's reading.
	cmd := exec.Command("bash", "-c", `set -euo pipefail; set -a; . "$1"; env -0`, "_", file)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("the shell cannot load %s: %v\n%s", file, err, stderr.String())
	}
	shell := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "STAAS_") {
			shell[k] = v
		}
	}
	for k, v := range systemd {
		if shell[k] != v {
			t.Errorf("%s: the shell reads %s=%q, systemd %q", file, k, shell[k], v)
		}
	}

	if _, err := config.Load(func(k string) (string, bool) { v, ok := systemd[k]; return v, ok }); err != nil {
		t.Errorf("staas refuses the configuration of %s: %v", file, err)
	}
}
