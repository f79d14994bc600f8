//go:build unix

package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The README's first command takes an address: `make demo ADDR=…` and
// `make demo ARGS='-addr …'` start the demo there (the default port may
// be taken on an admin's machine).
func TestMakeDemo_TakesAnAddress(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is missing (scripts/test.sh installs the Debian package make)")
	}
	for _, tc := range []struct {
		name string
		arg  func(addr string) string
	}{
		{"ADDR", func(addr string) string { return "ADDR=" + addr }},
		{"ARGS", func(addr string) string { return "ARGS=-addr " + addr }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			// The first build of the demo can take minutes on a cold cache (in
			// CI, next to the race-enabled builds of every package);
			// at the deadline the whole process group is killed.
			ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "-C", "../..", "demo", tc.arg(addr))
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			// make, go run and the demo share one process group: stop all.
			cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
				_ = cmd.Wait()
			}()

			// The demo prints one line saying where it is, then serves.
			var opened string
			lines := bufio.NewScanner(stdout)
			for lines.Scan() {
				if strings.Contains(lines.Text(), "staas demo: open ") {
					opened = lines.Text()
					break
				}
			}
			go func() { _, _ = io.Copy(io.Discard, stdout) }() // drained, so the demo never blocks on a full pipe
			if want := "open http://" + addr + "/ "; !strings.Contains(opened, want) {
				t.Fatalf("make demo %s printed %q, want %q; stderr:\n%s", tc.arg(addr), opened, want, stderr.String())
			}
			resp, err := http.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("the demo's page at %s answered %s", addr, resp.Status)
			}
		})
	}
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
