package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"staas"
	"staas/internal/config"
	"staas/internal/reseller"
	"staas/internal/store"
)

const resellerHelp = `Usage:
  staas reseller list
  staas reseller add -name NAME -email EMAIL -source group:ID|ids:ID,ID,…|field:NAME=VALUE [-password-stdin]
  staas reseller assign -email EMAIL -source group:ID|ids:ID,ID,…|field:NAME=VALUE
  staas reseller reset-password -email EMAIL [-password-stdin]
  staas reseller disable -email EMAIL
  staas reseller enable -email EMAIL
  staas reseller totp -email EMAIL [-remove]

Resellers log in to staas's read-only reseller portal and see the storage
of their own clients: the clients of a WHMCS client group (group:3), a
list of client ids (ids:1,2,3), or the clients whose client custom field
holds a value (field:Reseller=acme). add and reset-password print a
generated password once; with -password-stdin they read one line from
standard input instead (12 characters to 72 bytes). Passwords are kept
only as bcrypt hashes. totp enrols a second factor for the reseller's
logins and prints its otpauth URI and secret once (for an authenticator
app); -remove takes it away. Every change is in staas's audit log. The
WHMCS addon page "staas resellers" does the same. The resellers live in staas's store
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
	case "list", "add", "assign", "reset-password", "disable", "enable", "totp":
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
	m := &reseller.Manager{Store: st}
	switch args[0] {
	case "list":
		if len(args) != 1 {
			return errors.New("reseller list takes no arguments")
		}
		return resellerList(ctx, m, stdout)
	case "add":
		return resellerAdd(ctx, m, args[1:], stdout, stderr)
	case "assign":
		return resellerAssign(ctx, m, args[1:], stdout, stderr)
	case "reset-password":
		return resellerResetPassword(ctx, m, args[1:], stdout, stderr)
	case "totp":
		return resellerTOTP(ctx, m, args[1:], stdout, stderr)
	default: // disable, enable
		return resellerState(ctx, m, args[0], args[1:], stdout, stderr)
	}
}

// resellerList prints the resellers: never a hash or a second-factor
// secret.
func resellerList(ctx context.Context, m *reseller.Manager, stdout io.Writer) error {
	list, err := m.List(ctx)
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
		if r.TOTP {
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

// password is one line of stdin with -password-stdin, else "": the
// service then generates one, to print once.
func password(fromStdin bool) (string, error) {
	if !fromStdin {
		return "", nil
	}
	line, err := bufio.NewReader(resellerStdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("-password-stdin: no password on standard input")
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("-password-stdin: no password on standard input")
	}
	if err := store.CheckPassword(pw); err != nil {
		return "", errors.New(staas.ErrorMessage(err))
	}
	return pw, nil
}

// byEmail finds the reseller the -email flag names.
func byEmail(ctx context.Context, m *reseller.Manager, cmd, email string) (reseller.Account, error) {
	if email == "" {
		return reseller.Account{}, fmt.Errorf("reseller %s: -email is required", cmd)
	}
	r, err := m.ByEmail(ctx, email)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return reseller.Account{}, fmt.Errorf("reseller %s: no reseller has the email %q (staas reseller list shows them)", cmd, email)
	}
	if err != nil {
		return reseller.Account{}, fmt.Errorf("reseller %s: %s", cmd, staas.ErrorMessage(err))
	}
	return r, nil
}

// cliError is a service error as the command says it: field errors
// one after another.
func cliError(cmd string, err error) error {
	return fmt.Errorf("reseller %s: %s", cmd, staas.ErrorMessage(err))
}

func resellerAdd(ctx context.Context, m *reseller.Manager, args []string, stdout, stderr io.Writer) error {
	fs := resellerFlags("add", stderr)
	var in reseller.NewAccount
	fs.StringVar(&in.Name, "name", "", "the reseller's name, as the portal shows it")
	fs.StringVar(&in.Email, "email", "", "the reseller's login email")
	fs.StringVar(&in.Source, "source", "", "the reseller's clients: group:ID, ids:ID,ID,… or field:NAME=VALUE")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, f := range []struct{ flag, v string }{{"-name", in.Name}, {"-email", in.Email}, {"-source", in.Source}} {
		if f.v == "" {
			return fmt.Errorf("reseller add: %s is required", f.flag)
		}
	}
	pw, err := password(*fromStdin)
	if err != nil {
		return errors.New("reseller add: " + err.Error())
	}
	in.Password = pw
	added, err := m.Add(ctx, reseller.Operator, in)
	if err != nil {
		return cliError("add", err)
	}
	fmt.Fprintf(stdout, "reseller %d (%s) added with source %s\n", added.ID, added.Email, added.Source)
	if added.Password != "" {
		fmt.Fprintf(stdout, "password: %s\n(shown once: staas keeps only its hash)\n", added.Password)
	}
	return nil
}

func resellerAssign(ctx context.Context, m *reseller.Manager, args []string, stdout, stderr io.Writer) error {
	fs := resellerFlags("assign", stderr)
	email := fs.String("email", "", "the reseller's login email")
	source := fs.String("source", "", "the reseller's clients: group:ID, ids:ID,ID,… or field:NAME=VALUE")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *source == "" {
		return errors.New("reseller assign: -source is required")
	}
	if _, msg := reseller.ParseSource(*source); msg != "" {
		return errors.New("reseller assign: " + msg)
	}
	r, err := byEmail(ctx, m, "assign", *email)
	if err != nil {
		return err
	}
	r, err = m.Assign(ctx, reseller.Operator, r.ID, *source)
	if err != nil {
		return cliError("assign", err)
	}
	fmt.Fprintf(stdout, "reseller %s now has the source %s\n", r.Email, r.Source)
	return nil
}

func resellerResetPassword(ctx context.Context, m *reseller.Manager, args []string, stdout, stderr io.Writer) error {
	fs := resellerFlags("reset-password", stderr)
	email := fs.String("email", "", "the reseller's login email")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := byEmail(ctx, m, "reset-password", *email)
	if err != nil {
		return err
	}
	pw, err := password(*fromStdin)
	if err != nil {
		return errors.New("reseller reset-password: " + err.Error())
	}
	r, generated, err := m.ResetPassword(ctx, reseller.Operator, r.ID, pw)
	if err != nil {
		return cliError("reset-password", err)
	}
	fmt.Fprintf(stdout, "reseller %s has a new password\n", r.Email)
	if generated != "" {
		fmt.Fprintf(stdout, "password: %s\n(shown once: staas keeps only its hash)\n", generated)
	}
	return nil
}

// resellerState disables or enables a reseller.
func resellerState(ctx context.Context, m *reseller.Manager, cmd string, args []string, stdout, stderr io.Writer) error {
	fs := resellerFlags(cmd, stderr)
	email := fs.String("email", "", "the reseller's login email")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := byEmail(ctx, m, cmd, *email)
	if err != nil {
		return err
	}
	state := store.ResellerDisabled
	if cmd == "enable" {
		state = store.ResellerActive
	}
	if _, err := m.SetState(ctx, reseller.Operator, r.ID, state); err != nil {
		return cliError(cmd, err)
	}
	if cmd == "enable" {
		fmt.Fprintf(stdout, "reseller %s enabled: it can log in again\n", r.Email)
		return nil
	}
	fmt.Fprintf(stdout, "reseller %s disabled: the portal refuses its logins\n", r.Email)
	return nil
}

// resellerTOTP enrols (or with -remove takes away) a reseller's second
// factor; the secret is printed here once and never again.
func resellerTOTP(ctx context.Context, m *reseller.Manager, args []string, stdout, stderr io.Writer) error {
	fs := resellerFlags("totp", stderr)
	email := fs.String("email", "", "the reseller's login email")
	remove := fs.Bool("remove", false, "take the second factor away instead (a lost phone)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := byEmail(ctx, m, "totp", *email)
	if err != nil {
		return err
	}
	if *remove {
		if _, err := m.RemoveTOTP(ctx, reseller.Operator, r.ID); err != nil {
			return cliError("totp", err)
		}
		fmt.Fprintf(stdout, "reseller %s logs in with its password alone\n", r.Email)
		return nil
	}
	_, enr, err := m.EnrolTOTP(ctx, reseller.Operator, r.ID)
	if err != nil {
		return cliError("totp", err)
	}
	fmt.Fprintf(stdout, "reseller %s now needs a 6-digit code at login\n", r.Email)
	fmt.Fprintf(stdout, "otpauth URI: %s\nsecret: %s\n(shown once: add it to the reseller's authenticator app now)\n", enr.URI, enr.Secret)
	return nil
}
