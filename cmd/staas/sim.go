package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"staas/standin/ecssim"
	"staas/standin/ostorsim"
)

// sim runs the ostor gateway simulator as a standalone server, for the demo,
// for trying the guide's curl recipes, and for pointing a staas at.
func sim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("kind", "ostor", "which storage to simulate: ostor (the gateway's admin API and S3) or ecs (the Dell ECS management API)")
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on (loopback unless you mean otherwise)")
	username := fs.String("username", "root", "ecs: the management user's name")
	password := fs.String("password", "ChangeMe", "ecs: the management user's password")
	refuse := fs.String("refuse-prefix", "", `ecs: answer every request whose path starts with this (e.g. "/object/billing") with 500 code 6401, Insufficient permissions`)
	email := fs.String("system-email", "system@staas.local", "email of the system user")
	accessKey := fs.String("access-key", "", "access key id of the system user (default: generated)")
	secretKey := fs.String("secret-key", "", "secret key of the system user (default: generated)")
	demo := fs.Bool("demo", false, "create demo users, buckets and a day of traffic")
	wrapped := fs.Bool("wrapped-user-list", false, `answer the user list as {"Users":[…]} instead of a bare array`)
	spaceAsSize := fs.Bool("space-as-size", false, `answer ?ostor-users&space as "space":{"current",…} instead of "SpaceStat":{"SizeCurr",…}`)
	serviceIDString := fs.Bool("service-id-string", false, `write "service_id" in usage objects as a JSON string instead of a number`)
	latency := fs.Duration("latency", 0, "delay added to every answer")
	errorRate := fs.Float64("error-rate", 0, "share of requests answered 503, 0..1")
	dropRate := fs.Float64("drop-rate", 0, "share of connections closed without an answer, 0..1")
	loseRate := fs.Float64("lose-answer-rate", 0, "share of requests that take effect but whose answer is lost, 0..1")
	period := fs.Duration("usage-period", ostorsim.DefaultUsagePeriod, "length of a usage-statistics period (whole seconds); shorter lets a test read ostor-usage sooner")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for name, rate := range map[string]float64{"error-rate": *errorRate, "drop-rate": *dropRate, "lose-answer-rate": *loseRate} {
		if rate < 0 || rate > 1 {
			return fmt.Errorf("-%s must be between 0 and 1", name)
		}
	}
	switch *kind {
	case "ostor":
	case "ecs":
		s, err := ecssim.New(ecssim.Options{
			Username:  *username,
			Password:  *password,
			WallClock: true,
			Demo:      *demo,
			Faults:    ecssim.Faults{Latency: *latency, ErrorRate: *errorRate, DropRate: *dropRate, LoseAnswerRate: *loseRate, RefusePrefix: *refuse},
		})
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return err
		}
		// The login is printed on purpose: it exists only for a person or
		// a test to use.
		fmt.Fprintf(stdout, "ecs simulator listening on http://%s\n", ln.Addr())
		fmt.Fprintf(stdout, "management user: %s\npassword: %s\n", *username, *password)
		return serveSim(ctx, ln, s.Handler())
	default:
		return fmt.Errorf("-kind must be ostor or ecs, not %q", *kind)
	}
	if *period < time.Second || *period%time.Second != 0 {
		return fmt.Errorf("-usage-period must be whole seconds, at least 1s")
	}
	if (*accessKey == "") != (*secretKey == "") {
		return fmt.Errorf("-access-key and -secret-key go together")
	}

	// The simulator keeps its own clock so tests can move it; standalone,
	// it follows the wall clock so signed Date headers stay within the
	// gateway's 15-minute window and usage periods close on time.
	s, err := ostorsim.New(ostorsim.Options{
		WallClock:         true,
		SystemEmail:       *email,
		SystemAccessKey:   *accessKey,
		SystemSecretKey:   *secretKey,
		ListUsersWrapped:  *wrapped,
		UserSpaceAsSize:   *spaceAsSize,
		ServiceIDAsString: *serviceIDString,
		UsagePeriod:       *period,
	})
	if err != nil {
		return err
	}
	s.SetFaults(ostorsim.Faults{Latency: *latency, ErrorRate: *errorRate, DropRate: *dropRate, LoseAnswerRate: *loseRate})
	if *demo {
		if err := s.SeedDemo(); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	creds := s.SystemCredentials()
	// The keys are printed on purpose: the simulator's system user exists
	// only so that a person or a test can sign requests with it.
	fmt.Fprintf(stdout, "ostor simulator listening on http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "system user: %s\nS3AccessKeyId: %s\nS3SecretAccessKey: %s\n", creds.Email, creds.AccessKey, creds.SecretKey)

	return serveSim(ctx, ln, s)
}

// serveSim serves a simulator on ln until ctx ends.
func serveSim(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
