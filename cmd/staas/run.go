package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `staas sells S3 object storage through WHMCS.

Usage:
  staas serve      run the server (configured by STAAS_* environment variables)
  staas migrate    apply the store's database migrations and exit
  staas cluster    manage the storage clusters: list, add, test, remove (staas cluster help)
  staas reseller   manage the reseller portal's accounts: list, add, assign, reset-password, disable (staas reseller help)
  staas collect    collect usage statistics and sample bucket sizes once, on every cluster (-storage=false: usage only; -cluster NAME: one cluster)
  staas reconcile  compare WHMCS's service and client statuses with every cluster's users; disable what WHMCS suspended or closed, report the rest (-dry-run: change nothing; -cluster NAME: one cluster)
  staas demo       run staas with a simulated gateway and a WHMCS stand-in to click through
  staas sim        run the ostor gateway simulator (staas sim -h for flags)
  staas version    print the version

Configuration is documented in README.md.
`

// errUsage asks run's caller to print the usage; it is not a failure the
// user needs explained twice.
var errUsage = errors.New("unknown command: see staas help")

// run is the whole program; main only supplies the process's environment,
// so tests can run every subcommand in-process.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], lookup, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], lookup, stdout)
	case "cluster":
		return clusterCmd(ctx, args[1:], lookup, stdout, stderr)
	case "reseller":
		return resellerCmd(ctx, args[1:], lookup, stdout, stderr)
	case "collect":
		return collect(ctx, args[1:], lookup, stdout, stderr)
	case "reconcile":
		return reconcileCmd(ctx, args[1:], lookup, stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "sim":
		return sim(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "staas", fullVersion())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// fullVersion adds the VCS revision Go stamps into the binary, so a bug
// report names the exact build.
func fullVersion() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}

// newLogger builds the process logger. Secrets reach it only as
// config.Secret values, which render as [redacted].
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
