package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"staas/standin/demo"
)

// runDemo runs staas with the gateway simulator and a WHMCS stand-in, all in
// this process, until interrupted.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address of the WHMCS stand-in (the page to open)")
	dir := fs.String("dir", "", "folder for the demo's SQLite databases (default: a new temporary folder, removed on exit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The demo seeds new databases; it cannot start on a previous run's.
	for _, name := range []string{"staas.db", "whmcs.db"} {
		if _, err := os.Stat(filepath.Join(*dir, name)); *dir != "" && err == nil {
			return fmt.Errorf("demo: -dir %s already holds a demo's databases (%s); give an empty or new folder, or remove them", *dir, name)
		}
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "staas-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	log := newLogger(stderr, "text", slog.LevelInfo)
	d, err := demo.Start(ctx, demoOptions(*addr, *dir, log))
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("demo: %s is already in use by another program; choose another address with -addr (make demo ADDR=127.0.0.1:8090): %w", *addr, err)
	}
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer d.Close()
	logins, err := demo.SeedResellers(ctx, d.Store)
	if err != nil {
		return fmt.Errorf("demo: resellers: %w", err)
	}
	fmt.Fprintf(stdout, "staas demo: open %s (WHMCS stand-in; staas at %s, databases in %s)\n", d.URL, d.StaasURL, *dir)
	for _, l := range logins {
		fmt.Fprintf(stdout, "staas demo: reseller portal %s/reseller/login as %s, password %s (%s, clients %s)\n", d.StaasURL, l.Email, l.Password, l.Name, l.Clients)
	}
	<-ctx.Done()
	return nil
}

// demoOptions runs the demo with the product staas serve runs: the demo
// brings its stand-ins, buildProduct wires staas over them.
func demoOptions(addr, dir string, log *slog.Logger) demo.Options {
	return demo.Options{Addr: addr, Dir: dir, Logger: log, Build: buildDemo}
}

func demoResellerKey() []byte {
	key := make([]byte, 64)
	_, _ = rand.Read(key)
	return key
}

func buildDemo(_ context.Context, w demo.Wiring) (http.Handler, error) {
	p, err := buildProduct(wiring{Log: w.Logger, Store: w.Store, WHMCS: w.WHMCS, Clusters: w.Clusters, ShimSecret: w.ShimSecret,
		// As serve by default (STAAS_NOTES_WITH_SECRET=false): notes name
		// the key, the secret is revealed on the page.
		NotesWithoutSecret: true, KeepObjects: true, UsageSchedule: w.UsageSchedule,
		// The reseller portal, with a session key of this run's.
		ResellerKey: demoResellerKey()})
	if err != nil {
		return nil, err
	}
	// As serve does every minute: deliver queued notes and retry queued
	// client events, so the demo's Pending work moves on by itself.
	if w.Every != nil {
		w.Every(time.Minute, func(ctx context.Context) {
			if _, _, err := p.Provision.Notes.Deliver(ctx); err != nil && ctx.Err() == nil {
				w.Logger.Warn("demo: delivering queued notes", "err", err)
			}
			if _, err := p.Provision.Events.RetryIntents(ctx); err != nil && ctx.Err() == nil {
				w.Logger.Warn("demo: retrying queued client events", "err", err)
			}
		})
	}
	return p.Handler, nil
}
