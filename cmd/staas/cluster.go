package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"staas"
	"staas/internal/cluster"
	"staas/internal/config"
	"staas/internal/ecs"
	"staas/internal/ostor"
	"staas/internal/store"
)

const clusterHelp = `Usage:
  staas cluster list
  staas cluster add -name NAME -admin-endpoint URL -credentials env:PREFIX|file:/path
                    [-data-endpoint URL] [-signature v2|v4] [-region REGION] [-default]
  staas cluster test NAME
  staas cluster remove NAME

The registry lives in staas's store (STAAS_STORE_DRIVER, STAAS_STORE_DSN).
Credentials are a reference, never the secret: env:PREFIX reads
PREFIX_ACCESS_KEY and PREFIX_SECRET_KEY from staas's environment,
file:/path reads "access_key = …" and "secret_key = …" lines. A WHMCS
server entry names its cluster in its Username field. staas serve reads
the registry when it starts: restart it after a change.
`

// clusterCmd manages the cluster registry.
func clusterCmd(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, clusterHelp)
		return errUsage
	}
	c, err := config.LoadStore(lookup)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "list":
		return clusterList(ctx, st, stdout)
	case "add":
		return clusterAdd(ctx, st, args[1:], stdout, stderr)
	case "test":
		if len(args) != 2 {
			return errors.New("cluster test takes one cluster name")
		}
		return clusterTest(ctx, st, args[1], lookup, stdout)
	case "remove":
		if len(args) != 2 {
			return errors.New("cluster remove takes one cluster name")
		}
		if err := st.RemoveCluster(ctx, args[1]); err != nil {
			return errors.New(staas.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "cluster %s removed; restart staas serve to stop using it\n", args[1])
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, clusterHelp)
		return nil
	}
	fmt.Fprint(stderr, clusterHelp)
	return fmt.Errorf("unknown cluster command %q", args[0])
}

// clusterList prints the registry: references, never secrets.
func clusterList(ctx context.Context, st *store.Store, stdout io.Writer) error {
	list, err := st.Clusters(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no cluster registered (staas serve registers \"default\" from STAAS_OSTOR_* when it starts)")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKIND\tDEFAULT\tADMIN ENDPOINT\tDATA ENDPOINT\tSIGNATURE\tREGION\tCREDENTIALS")
	for _, c := range list {
		def := ""
		if c.IsDefault {
			def = "yes"
		}
		data := c.DataEndpoint
		if data == "" {
			data = "(admin endpoint)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Kind, def, c.AdminEndpoint, data, c.Signature, c.Region, c.Credentials)
	}
	return w.Flush()
}

func clusterAdd(ctx context.Context, st *store.Store, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cluster add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := store.Cluster{Kind: store.ClusterOstor}
	fs.StringVar(&c.Name, "name", "", "the cluster's name, as WHMCS server entries give it in Username (a-z, 0-9, '-')")
	fs.StringVar(&c.Kind, "kind", store.ClusterOstor, "the backend: ostor, or ecs (Dell ECS / ObjectScale 4.x; its credentials reference holds the management login: access_key = user name, secret_key = password)")
	fs.StringVar(&c.AdminEndpoint, "admin-endpoint", "", "URL of the gateway's admin API, e.g. https://s3.eu.example.com")
	fs.StringVar(&c.DataEndpoint, "data-endpoint", "", "URL of the S3 data endpoint (default: the admin endpoint)")
	fs.StringVar(&c.Signature, "signature", "v2", "request signing: v2 or v4")
	fs.StringVar(&c.Region, "region", "us-east-1", "region signed into SigV4 requests")
	fs.StringVar(&c.Credentials, "credentials", "", "env:PREFIX or file:/path (never the secret itself)")
	fs.BoolVar(&c.IsDefault, "default", false, "make it the default cluster (of server entries that name none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("cluster add: unexpected argument %q", fs.Arg(0))
	}
	for _, e := range []struct{ flag, v string }{{"-admin-endpoint", c.AdminEndpoint}, {"-data-endpoint", c.DataEndpoint}} {
		if e.v == "" && e.flag == "-data-endpoint" {
			continue
		}
		if u, err := url.Parse(e.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return fmt.Errorf("cluster add: %s must be an http(s) URL without credentials (got %q)", e.flag, e.v)
		}
	}
	if err := st.AddCluster(ctx, c); err != nil {
		return errors.New("cluster add: " + staas.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "cluster %s added; test it with staas cluster test %s, and restart staas serve to use it\n", c.Name, c.Name)
	return nil
}

// clusterTest resolves a cluster's credentials and makes the cheapest
// authenticated call.
func clusterTest(ctx context.Context, st *store.Store, name string, lookup func(string) (string, bool), stdout io.Writer) error {
	reg, err := cluster.Load(ctx, st, cluster.Config{Lookup: fileTwinLookup(lookup), Ostor: ostor.Config{Timeout: 15 * time.Second}, ECS: ecs.Config{Timeout: 15 * time.Second}})
	if err != nil {
		return errors.New(staas.ErrorMessage(err))
	}
	if _, ok := reg.Cluster(name); !ok {
		return fmt.Errorf("no cluster named %q (staas cluster list shows them)", name)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := reg.Test(ctx, name); err != nil {
		return fmt.Errorf("cluster %s failed the test: %s", name, staas.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "cluster %s answers and takes staas's credentials\n", name)
	return nil
}

// fileTwinLookup reads NAME, or the file NAME_FILE names, as config does.
func fileTwinLookup(lookup func(string) (string, bool)) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if v, ok := lookup(name); ok {
			return v, true
		}
		if path, ok := lookup(name + "_FILE"); ok {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", false
			}
			return strings.TrimRight(string(b), "\r\n"), true
		}
		return "", false
	}
}
