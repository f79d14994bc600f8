// Command staas is the staas server and its tools in one binary: serve
// (the shim API behind WHMCS), demo, collect, cluster, reseller, migrate,
// sim and version, each but version in a file of its name. wiring.go assembles
// the product the same way for serve and demo; run.go takes arguments,
// environment and outputs, so tests run every subcommand in-process.
// It is the one package that assembles the others.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "staas:", err)
		os.Exit(1)
	}
}
