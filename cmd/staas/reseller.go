package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"staas"
	"staas/internal/config"
	"staas/internal/store"
)

const resellerHelp = `Usage:
  staas reseller list
  staas reseller add -name NAME -email EMAIL -source group:ID|ids:ID,ID,…|field:NAME=VALUE [-password-stdin]
  staas reseller assign -email EMAIL -source group:ID|ids:ID,ID,…|field:NAME=VALUE
  staas reseller reset-password -email EMAIL [-password-stdin]
  staas reseller disable -email EMAIL

Resellers log in to staas's read-only reseller portal and see the storage
of their own clients: the clients of a WHMCS client group (group:3), a
list of client ids (ids:1,2,3), or the clients whose client custom field
holds a value (field:Reseller=acme). add and reset-password print a
generated password once; with -password-stdin they read one line from
standard input instead (12 characters to 72 bytes). Passwords are kept
only as bcrypt hashes. The resellers live in staas's store
(STAAS_STORE_DRIVER, STAAS_STORE_DSN).
`

// resellerStdin is where -password-stdin reads; tests replace it.
var resellerStdin io.Reader = os.Stdin

// resellerCmd manages the reseller portal's accounts.
func resellerCmd(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, resellerHelp)
		return errUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, resellerHelp)
		return nil
	case "list", "add", "assign", "reset-password", "disable":
	default:
		fmt.Fprint(stderr, resellerHelp)
		return fmt.Errorf("unknown reseller command %q", args[0])
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
		if len(args) != 1 {
			return errors.New("reseller list takes no arguments")
		}
		return resellerList(ctx, st, stdout)
	case "add":
		return resellerAdd(ctx, st, args[1:], stdout, stderr)
	case "assign":
		return resellerAssign(ctx, st, args[1:], stdout, stderr)
	case "reset-password":
		return resellerResetPassword(ctx, st, args[1:], stdout, stderr)
	default: // disable
		return resellerDisable(ctx, st, args[1:], stdout, stderr)
	}
}

// resellerList prints the resellers: never a hash or a second-factor
// secret.
func resellerList(ctx context.Context, st *store.Store, stdout io.Writer) error {
	list, err := st.Resellers(ctx)
	if err != nil {
		return errors.New("reseller list: " + staas.ErrorMessage(err))
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no reseller registered (staas reseller add registers one)")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tEMAIL\tNAME\tSTATE\tSOURCE\t2FA\tCREATED\tUPDATED")
	for _, r := range list {
		twofa := "no"
		if r.TOTPSecret != "" {
			twofa = "yes"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Email, r.Name, r.State, r.Source, twofa,
			r.CreatedAt.Format("2006-01-02 15:04"), r.UpdatedAt.Format("2006-01-02 15:04"))
	}
	return w.Flush()
}

func resellerFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("reseller "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// password is a generated password, or one line of stdin.
func password(fromStdin bool) (pw string, generated bool, err error) {
	if fromStdin {
		line, err := bufio.NewReader(resellerStdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", false, errors.New("-password-stdin: no password on standard input")
		}
		pw = strings.TrimRight(line, "\r\n")
		if err := store.CheckPassword(pw); err != nil {
			return "", false, errors.New(staas.ErrorMessage(err))
		}
		return pw, false, nil
	}
	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", false, err
	}
	return base64.RawURLEncoding.EncodeToString(raw[:]), true, nil
}

// byEmail finds the reseller the -email flag names.
func byEmail(ctx context.Context, st *store.Store, cmd, email string) (store.Reseller, error) {
	if email == "" {
		return store.Reseller{}, fmt.Errorf("reseller %s: -email is required", cmd)
	}
	r, err := st.ResellerByEmail(ctx, email)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return store.Reseller{}, fmt.Errorf("reseller %s: no reseller has the email %q (staas reseller list shows them)", cmd, email)
	}
	if err != nil {
		return store.Reseller{}, fmt.Errorf("reseller %s: %s", cmd, staas.ErrorMessage(err))
	}
	return r, nil
}

func resellerAdd(ctx context.Context, st *store.Store, args []string, stdout, stderr io.Writer) error {
	fs := resellerFlags("add", stderr)
	var r store.Reseller
	var source string
	fs.StringVar(&r.Name, "name", "", "the reseller's name, as the portal shows it")
	fs.StringVar(&r.Email, "email", "", "the reseller's login email")
	fs.StringVar(&source, "source", "", "the reseller's clients: group:ID, ids:ID,ID,… or field:NAME=VALUE")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, f := range []struct{ flag, v string }{{"-name", r.Name}, {"-email", r.Email}, {"-source", source}} {
		if f.v == "" {
			return fmt.Errorf("reseller add: %s is required", f.flag)
		}
	}
	src, err := store.ParseResellerSource(source)
	if err != nil {
		return errors.New("reseller add: " + staas.ErrorMessage(err))
	}
	r.Source = src
	pw, generated, err := password(*fromStdin)
	if err != nil {
		return errors.New("reseller add: " + err.Error())
	}
	id, err := st.AddReseller(ctx, r, pw)
	if err != nil {
		return errors.New("reseller add: " + staas.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "reseller %d (%s) added with source %s\n", id, strings.ToLower(r.Email), src)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n(shown once: staas keeps only its hash)\n", pw)
	}
	return nil
}

func resellerAssign(ctx context.Context, st *store.Store, args []string, stdout, stderr io.Writer) error {
	fs := resellerFlags("assign", stderr)
	email := fs.String("email", "", "the reseller's login email")
	source := fs.String("source", "", "the reseller's clients: group:ID, ids:ID,ID,… or field:NAME=VALUE")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *source == "" {
		return errors.New("reseller assign: -source is required")
	}
	src, err := store.ParseResellerSource(*source)
	if err != nil {
		return errors.New("reseller assign: " + staas.ErrorMessage(err))
	}
	r, err := byEmail(ctx, st, "assign", *email)
	if err != nil {
		return err
	}
	if err := st.AssignReseller(ctx, r.ID, src); err != nil {
		return errors.New("reseller assign: " + staas.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "reseller %s now has the source %s\n", r.Email, src)
	return nil
}

func resellerResetPassword(ctx context.Context, st *store.Store, args []string, stdout, stderr io.Writer) error {
	fs := resellerFlags("reset-password", stderr)
	email := fs.String("email", "", "the reseller's login email")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := byEmail(ctx, st, "reset-password", *email)
	if err != nil {
		return err
	}
	pw, generated, err := password(*fromStdin)
	if err != nil {
		return errors.New("reseller reset-password: " + err.Error())
	}
	if err := st.SetResellerPassword(ctx, r.ID, pw); err != nil {
		return errors.New("reseller reset-password: " + staas.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "reseller %s has a new password\n", r.Email)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n(shown once: staas keeps only its hash)\n", pw)
	}
	return nil
}

func resellerDisable(ctx context.Context, st *store.Store, args []string, stdout, stderr io.Writer) error {
	fs := resellerFlags("disable", stderr)
	email := fs.String("email", "", "the reseller's login email")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := byEmail(ctx, st, "disable", *email)
	if err != nil {
		return err
	}
	if err := st.SetResellerState(ctx, r.ID, store.ResellerDisabled); err != nil {
		return errors.New("reseller disable: " + staas.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "reseller %s disabled: the portal refuses its logins\n", r.Email)
	return nil
}
