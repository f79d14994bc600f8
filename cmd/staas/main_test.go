package main

import (
	"testing"

	"staas/standin/mariadbtest"
)

// The kill test (kill_test.go) runs two staas processes on one MariaDB:
// this binary starts a private one, and fails (never skips) without it.
func TestMain(m *testing.M) { mariadbtest.Main(m) }
