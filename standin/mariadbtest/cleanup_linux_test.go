package mariadbtest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// child runs this test binary again with env added, running only
// TestServerIsPrivate, and returns its exit code, output and report.
func child(t *testing.T, env ...string) (code int, out string, dir string, pid int) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report")
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerIsPrivate$", "-test.count=1")
	cmd.Env = append(os.Environ(), append(env, envReport+"="+report)...)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		t.Fatal(err)
	}
	if b, err := os.ReadFile(report); err == nil {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) == 2 {
			dir = lines[0]
			pid, _ = strconv.Atoi(lines[1])
		}
	}
	return code, buf.String(), dir, pid
}

func TestMainCleansUp(t *testing.T) {
	t.Run("after passing tests", func(t *testing.T) {
		code, out, dir, pid := child(t)
		if code != 0 || pid == 0 {
			t.Fatalf("child exited %d, reported pid %d:\n%s", code, pid, out)
		}
		if !waitGone(pid, 5*time.Second) {
			t.Errorf("mariadbd %d still runs after the tests ended", pid)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s still exists after the tests ended (%v)", dir, err)
		}
	})

	t.Run("after a panic", func(t *testing.T) {
		code, out, dir, pid := child(t, envPanic+"=1")
		if code == 0 || pid == 0 || !strings.Contains(out, "a test panics") {
			t.Fatalf("child exited %d, reported pid %d; want a panic:\n%s", code, pid, out)
		}
		// No deferred call ran: the kernel kills the server, and the next
		// run removes the files.
		if !waitGone(pid, 5*time.Second) {
			t.Errorf("mariadbd %d still runs after its test binary panicked", pid)
		}
		removeStale()
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s of a panicked run survives the next run's clean-up (%v)", dir, err)
		}
		if _, err := os.Stat(current.dir); err != nil {
			t.Errorf("clean-up removed the directory of a live run: %v", err)
		}
	})

	t.Run("without MariaDB", func(t *testing.T) {
		code, out, _, pid := child(t, envNoTools+"=1", "PATH="+t.TempDir())
		if code != 1 || !strings.Contains(out, notInstalled) {
			t.Errorf("child exited %d; want 1 and %q:\n%s", code, notInstalled, out)
		}
		if pid != 0 {
			t.Error("a test ran although there is no server")
		}
	})
}
