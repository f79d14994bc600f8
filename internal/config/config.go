// Package config reads staas's configuration from environment variables.
//
// Every variable has a NAME_FILE twin that names a file holding the value,
// so secrets can come from Docker or systemd credentials instead of the
// environment. Values are validated at start-up, and every message names
// the variable at fault.
package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Secret is a string that never prints: fmt, slog and JSON all see
// "[redacted]". Use Reveal where the value itself is needed.
type Secret string

const redacted = "[redacted]"

func (s Secret) String() string               { return redacted }
func (s Secret) GoString() string             { return redacted }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s Secret) Reveal() string               { return string(s) }

// Cluster describes one ostor S3 cluster's admin endpoint.
type Cluster struct {
	Endpoint  string
	AccessKey string
	SecretKey Secret
	// Signature is "v2" (what the vendor guide signs with) or "v4".
	Signature string
	Region    string
	// UnsignedPayloadHeader adds the x-amz-content-sha256 header that newer
	// editions of the vendor guide send and sign with SigV2.
	UnsignedPayloadHeader bool
	Timeout               time.Duration
	// S3Endpoint is the cluster's S3 data endpoint, where staas empties
	// the buckets of a terminated service (terminate_buckets=purge); ""
	// means Endpoint, as one gateway usually serves both.
	S3Endpoint string
}

// Config is the whole configuration of a staas process. It is built once in
// cmd and passed down; nothing reads the environment after Load.
type Config struct {
	ListenAddr      string
	LogFormat       string // "text" or "json"
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	HTTP            HTTP
	Ostor           Cluster
	Store           Store
	// ShimSecret is the HMAC key shared with the PHP shim in WHMCS.
	ShimSecret Secret
	WHMCS      WHMCS
	Usage      Usage
	Hooks      Hooks
	Reseller   Reseller
}

// Reseller configures the reseller portal (/reseller/).
type Reseller struct {
	// SessionKey is 64 bytes, hex-encoded: 32 sign the session cookie,
	// 32 encrypt it. Empty: no portal.
	SessionKey Secret
	// CacheTTL is how long a reseller's client list is reused before it
	// is read from WHMCS again.
	CacheTTL time.Duration
}

// HTTP says how staas's HTTP server treats its connections and who may
// read its monitoring routes.
type HTTP struct {
	// ReadTimeout bounds reading a whole request, body included;
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its answer; IdleTimeout is how long a keep-alive connection may
	// wait for its next request.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// TrustedProxies are the networks of reverse proxies whose
	// X-Forwarded-For staas believes; without any, the client address is
	// the connection's.
	TrustedProxies []*net.IPNet
	// MonitorToken, when set, is the bearer token /metrics and /readyz
	// require.
	MonitorToken Secret
	// ReadyCache is how long /readyz reuses its last answer; 0 checks on
	// every request.
	ReadyCache time.Duration
}

// Hooks says what staas does on WHMCS's client hooks.
type Hooks struct {
	// CreateOnClientAdd creates a client's S3 user when WHMCS adds the
	// client, before any service is ordered.
	CreateOnClientAdd bool
	// ClientDelete is what a deleted client's S3 users become: "disable"
	// (kept disabled, marked orphaned) or "delete" (deleted when they own
	// no bucket, else disabled and marked).
	ClientDelete string
}

// Usage says how often staas collects usage statistics and samples
// bucket sizes.
type Usage struct {
	Interval time.Duration // between collections of statistics objects
	// Delete deletes each statistics object from the gateway once its
	// counters are committed, as the vendor asks.
	Delete         bool
	SampleInterval time.Duration // between samplings of bucket sizes
}

// Store says where staas keeps its own state.
type Store struct {
	Driver string // "sqlite" or "mysql"
	// DSN is a file path for sqlite, a go-sql-driver/mysql DSN for mysql.
	DSN Secret
}

// WHMCS says how staas reaches WHMCS to read clients and write notes.
type WHMCS struct {
	// Mode is "api" (WHMCS's external API) or "mysql" (WHMCS's database).
	Mode          string
	APIURL        string // .../includes/api.php
	APIIdentifier string
	APISecret     Secret
	APIAccessKey  Secret // optional; bypasses WHMCS's API IP allow list
	DBDSN         Secret // go-sql-driver/mysql DSN of WHMCS's database
	Timeout       time.Duration
	// NotesWithSecret writes the vendor guide's client note with the
	// secret key in it; false (the default) names the user and the
	// access key and says where to reveal the secret.
	NotesWithSecret bool
}

// Var documents one environment variable. The README's table is checked
// against this list by a test, so the two cannot drift.
type Var struct {
	Name     string
	Default  string
	Secret   bool
	Required bool
	Doc      string
	set      func(c *Config, v string) error
}

// Vars lists every variable staas reads, in the order the README shows them.
var Vars = []Var{
	{Name: "STAAS_LISTEN_ADDR", Default: "127.0.0.1:8080", Doc: "Address the HTTP server listens on.",
		set: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("want host:port, e.g. 127.0.0.1:8080")
			}
			c.ListenAddr = v
			return nil
		}},
	{Name: "STAAS_LOG_FORMAT", Default: "text", Doc: "Log format: `text` or `json`.",
		set: func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("want text or json")
			}
			c.LogFormat = v
			return nil
		}},
	{Name: "STAAS_LOG_LEVEL", Default: "info", Doc: "Lowest level logged: `debug`, `info`, `warn` or `error`.",
		set: func(c *Config, v string) error {
			return c.LogLevel.UnmarshalText([]byte(v))
		}},
	{Name: "STAAS_SHUTDOWN_TIMEOUT", Default: "10s", Doc: "How long a graceful shutdown waits for requests in flight.",
		set: func(c *Config, v string) (err error) {
			c.ShutdownTimeout, err = positiveDuration(v)
			return err
		}},
	{Name: "STAAS_HTTP_READ_TIMEOUT", Default: "30s", Doc: "Time limit of reading one request, body included; a slower client is cut off.",
		set: func(c *Config, v string) (err error) {
			c.HTTP.ReadTimeout, err = positiveDuration(v)
			return err
		}},
	{Name: "STAAS_HTTP_WRITE_TIMEOUT", Default: "2m", Doc: "Time limit of one request from the end of its headers to the end of its answer (a Terminate that empties buckets takes longest).",
		set: func(c *Config, v string) (err error) {
			c.HTTP.WriteTimeout, err = positiveDuration(v)
			return err
		}},
	{Name: "STAAS_HTTP_IDLE_TIMEOUT", Default: "60s", Doc: "How long an idle keep-alive connection stays open.",
		set: func(c *Config, v string) (err error) {
			c.HTTP.IdleTimeout, err = positiveDuration(v)
			return err
		}},
	{Name: "STAAS_TRUSTED_PROXIES", Doc: "Comma-separated CIDRs of reverse proxies whose `X-Forwarded-For` names the client in the log, e.g. `127.0.0.1/32,10.0.0.0/8`; empty logs the connection's address.",
		set: func(c *Config, v string) (err error) {
			c.HTTP.TrustedProxies, err = parseCIDRs(v)
			return err
		}},
	{Name: "STAAS_MONITOR_TOKEN", Secret: true, Doc: "Optional bearer token that `/metrics` and `/readyz` then require (`Authorization: Bearer …`); at least 32 characters. Keep both behind the firewall either way.",
		set: func(c *Config, v string) error {
			if v != "" && (len(v) < 32 || strings.ContainsAny(v, " \t\r\n")) {
				return fmt.Errorf("want at least 32 characters without spaces (`openssl rand -hex 32`)")
			}
			c.HTTP.MonitorToken = Secret(v)
			return nil
		}},
	{Name: "STAAS_RESELLER_SESSION_KEY", Secret: true, Doc: "Optional key of the reseller portal's session cookies, 128 hex digits (`openssl rand -hex 64`); when it is set, staas serves the portal at `/reseller/`, with WHMCS reached in either `STAAS_WHMCS_MODE`.",
		set: func(c *Config, v string) error {
			if v != "" {
				if b, err := hex.DecodeString(v); err != nil || len(b) != 64 {
					return fmt.Errorf("want 128 hex digits (`openssl rand -hex 64`)")
				}
			}
			c.Reseller.SessionKey = Secret(v)
			return nil
		}},
	{Name: "STAAS_RESELLER_CACHE_TTL", Default: "60s", Doc: "How long the reseller portal reuses a reseller's client list before reading it from WHMCS again.",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("want a positive duration such as 60s")
			}
			c.Reseller.CacheTTL = d
			return nil
		}},
	{Name: "STAAS_READY_CACHE", Default: "5s", Doc: "How long `/readyz` reuses its last answer, so probes cannot make a gateway call each; `0s` checks every time.",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("want a duration such as 5s, or 0s")
			}
			c.HTTP.ReadyCache = d
			return nil
		}},
	{Name: "STAAS_OSTOR_ENDPOINT", Required: true, Doc: "URL of the ostor S3 gateway's admin API, e.g. `https://s3.example.com`.",
		set: func(c *Config, v string) (err error) {
			// The admin API lives at the gateway's root: SigV2 signs
			// "/?ostor-…", so a path would break every signature.
			c.Ostor.Endpoint, err = rootURL(v)
			return err
		}},
	{Name: "STAAS_OSTOR_ACCESS_KEY", Required: true, Doc: "Access key id of the cluster's S3 system user (`ostor-s3-admin create-user -S`).",
		set: func(c *Config, v string) error {
			if strings.ContainsAny(v, " \t\r\n:") {
				return fmt.Errorf("must not contain spaces or colons")
			}
			c.Ostor.AccessKey = v
			return nil
		}},
	{Name: "STAAS_OSTOR_SECRET_KEY", Required: true, Secret: true, Doc: "Secret key of that system user.",
		set: func(c *Config, v string) error {
			c.Ostor.SecretKey = Secret(v)
			return nil
		}},
	{Name: "STAAS_OSTOR_SIGNATURE", Default: "v2", Doc: "Request signing: `v2` (as the vendor guide signs) or `v4`.",
		set: func(c *Config, v string) error {
			if v != "v2" && v != "v4" {
				return fmt.Errorf("want v2 or v4")
			}
			c.Ostor.Signature = v
			return nil
		}},
	{Name: "STAAS_OSTOR_REGION", Default: "us-east-1", Doc: "Region signed into SigV4 requests.",
		set: func(c *Config, v string) error {
			if strings.ContainsAny(v, " /\t") {
				return fmt.Errorf("must not contain spaces or slashes")
			}
			c.Ostor.Region = v
			return nil
		}},
	{Name: "STAAS_OSTOR_UNSIGNED_PAYLOAD_HEADER", Default: "false", Doc: "`true` sends and signs `x-amz-content-sha256: UNSIGNED-PAYLOAD` with SigV2, as newer guides do.",
		set: func(c *Config, v string) (err error) {
			c.Ostor.UnsignedPayloadHeader, err = boolean(v)
			return err
		}},
	{Name: "STAAS_OSTOR_TIMEOUT", Default: "15s", Doc: "Time limit of one call to the gateway (each retry gets its own).",
		set: func(c *Config, v string) (err error) {
			c.Ostor.Timeout, err = positiveDuration(v)
			return err
		}},
	{Name: "STAAS_OSTOR_S3_ENDPOINT", Doc: "URL of the cluster's S3 data endpoint, where staas empties a terminated service's buckets (`terminate_buckets=purge`); empty means `STAAS_OSTOR_ENDPOINT`.",
		set: func(c *Config, v string) (err error) {
			if v == "" {
				return nil
			}
			// Path-style S3 puts the bucket first in the path.
			c.Ostor.S3Endpoint, err = rootURL(v)
			return err
		}},
	{Name: "STAAS_STORE_DRIVER", Default: "sqlite", Doc: "Where staas keeps its own state: `sqlite` (embedded) or `mysql` (MySQL/MariaDB, for several replicas).",
		set: func(c *Config, v string) error {
			if v != "sqlite" && v != "mysql" {
				return fmt.Errorf("want sqlite or mysql")
			}
			c.Store.Driver = v
			return nil
		}},
	{Name: "STAAS_STORE_DSN", Default: "staas.db", Secret: true, Doc: "For `sqlite` a file path; for `mysql` a DSN such as `staas:pw@tcp(127.0.0.1:3306)/staas`.",
		set: func(c *Config, v string) error {
			c.Store.DSN = Secret(v)
			return nil
		}},
	{Name: "STAAS_SHIM_SECRET", Required: true, Secret: true, Doc: "HMAC key shared with the PHP shim in WHMCS; at least 32 characters (`openssl rand -hex 32`).",
		set: func(c *Config, v string) error {
			if len(v) < 32 {
				return fmt.Errorf("want at least 32 characters")
			}
			c.ShimSecret = Secret(v)
			return nil
		}},
	{Name: "STAAS_WHMCS_MODE", Default: "api", Doc: "How staas reads clients and writes client notes: `api` (WHMCS API) or `mysql` (WHMCS's database). See \"Client notes\".",
		set: func(c *Config, v string) error {
			if v != "api" && v != "mysql" {
				return fmt.Errorf("want api or mysql")
			}
			c.WHMCS.Mode = v
			return nil
		}},
	{Name: "STAAS_WHMCS_API_URL", Doc: "WHMCS API endpoint, e.g. `https://billing.example.com/includes/api.php` (mode `api`).",
		set: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("want an http:// or https:// URL with a host")
			}
			c.WHMCS.APIURL = v
			return nil
		}},
	{Name: "STAAS_WHMCS_API_IDENTIFIER", Doc: "API credential identifier (Setup > Staff Management > Manage API Credentials).",
		set: func(c *Config, v string) error {
			c.WHMCS.APIIdentifier = v
			return nil
		}},
	{Name: "STAAS_WHMCS_API_SECRET", Secret: true, Doc: "API credential secret.",
		set: func(c *Config, v string) error {
			c.WHMCS.APISecret = Secret(v)
			return nil
		}},
	{Name: "STAAS_WHMCS_API_ACCESS_KEY", Secret: true, Doc: "Optional `$api_access_key` of WHMCS's configuration.php, instead of allow-listing staas's IP.",
		set: func(c *Config, v string) error {
			c.WHMCS.APIAccessKey = Secret(v)
			return nil
		}},
	{Name: "STAAS_WHMCS_DB_DSN", Secret: true, Doc: "DSN of WHMCS's MySQL database (mode `mysql`), e.g. `whmcs:pw@tcp(127.0.0.1:3306)/whmcs`.",
		set: func(c *Config, v string) error {
			c.WHMCS.DBDSN = Secret(v)
			return nil
		}},
	{Name: "STAAS_WHMCS_TIMEOUT", Default: "15s", Doc: "Time limit of one call to WHMCS (API or database).",
		set: func(c *Config, v string) (err error) {
			c.WHMCS.Timeout, err = positiveDuration(v)
			return err
		}},
	{Name: "STAAS_NOTES_WITH_SECRET", Default: "false", Doc: "`true` writes the guide's client note with the secret key in it; `false` writes the user id and access key id and where to reveal the secret, since anyone who may read the client's notes could read it. See \"Client notes\".",
		set: func(c *Config, v string) (err error) {
			c.WHMCS.NotesWithSecret, err = boolean(v)
			return err
		}},
	{Name: "STAAS_CREATE_ON_CLIENT_ADD", Default: "false", Doc: "`true` creates a client's S3 user as soon as WHMCS adds the client (hook `ClientAdd`); `false` leaves it to each service's Create.",
		set: func(c *Config, v string) (err error) {
			c.Hooks.CreateOnClientAdd, err = boolean(v)
			return err
		}},
	{Name: "STAAS_CLIENT_DELETE", Default: "disable", Doc: "What a deleted WHMCS client's S3 users become: `disable` (kept disabled, marked orphaned) or `delete` (deleted when they own no bucket, else disabled and marked).",
		set: func(c *Config, v string) error {
			if v != "disable" && v != "delete" {
				return fmt.Errorf("want disable or delete")
			}
			c.Hooks.ClientDelete = v
			return nil
		}},
	{Name: "STAAS_USAGE_INTERVAL", Default: "1h", Doc: "How often `serve` collects the gateway's usage statistics objects into the ledger (see \"Usage collection\").",
		set: func(c *Config, v string) (err error) {
			c.Usage.Interval, err = positiveDuration(v)
			return err
		}},
	{Name: "STAAS_USAGE_DELETE", Default: "true", Doc: "`true` deletes each statistics object from the gateway once it is counted, as the vendor asks; `false` leaves them.",
		set: func(c *Config, v string) (err error) {
			c.Usage.Delete, err = boolean(v)
			return err
		}},
	{Name: "STAAS_STORAGE_SAMPLE_INTERVAL", Default: "1h", Doc: "How often `serve` samples every bucket's size for storage billing.",
		set: func(c *Config, v string) (err error) {
			c.Usage.SampleInterval, err = positiveDuration(v)
			return err
		}},
}

// rootURL checks an endpoint that must be a server's root: http(s), a
// host, no credentials, path, query or fragment; the trailing "/" is
// dropped.
func rootURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("want an http:// or https:// URL with a host")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("want a URL without credentials, path, query or fragment")
	}
	return strings.TrimRight(v, "/"), nil
}

// parseCIDRs reads a comma-separated list of CIDRs; a bare address is
// its own /32 or /128.
func parseCIDRs(v string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			ip := net.ParseIP(part)
			if ip == nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", part)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", part)
		}
		out = append(out, n)
	}
	return out, nil
}

func boolean(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("want true or false")
	}
	return b, nil
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a positive duration such as 10s or 2m")
	}
	return d, nil
}

// LoadStore reads only the STAAS_STORE_* variables, for commands such as
// `staas migrate` that need nothing else.
func LoadStore(lookup func(string) (string, bool)) (Store, error) {
	var c Config
	var errs []error
	for _, v := range Vars {
		if strings.HasPrefix(v.Name, "STAAS_STORE_") {
			errs = append(errs, load(&c, v, lookup)...)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Store{}, fmt.Errorf("configuration: %w", err)
	}
	return c.Store, nil
}

// LoadCollect reads what `staas collect` needs: logging, the gateway, the
// store and the usage settings, not the shim's or WHMCS's variables.
func LoadCollect(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	var errs []error
	for _, v := range Vars {
		for _, prefix := range []string{"STAAS_LOG_", "STAAS_OSTOR_", "STAAS_STORE_", "STAAS_USAGE_", "STAAS_STORAGE_"} {
			if strings.HasPrefix(v.Name, prefix) {
				errs = append(errs, load(&c, v, lookup)...)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// Load builds a Config from lookup (os.LookupEnv in production). It reports
// every bad or missing variable at once, each message naming its variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	var errs []error
	for _, v := range Vars {
		errs = append(errs, load(&c, v, lookup)...)
	}
	errs = append(errs, c.WHMCS.check()...)
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// load sets one variable into c, returning what is wrong with it.
func load(c *Config, v Var, lookup func(string) (string, bool)) []error {
	val, ok, err := value(lookup, v.Name)
	if err != nil {
		return []error{err}
	}
	if !ok || val == "" {
		if v.Required {
			return []error{fmt.Errorf("%s is required: %s", v.Name, v.Doc)}
		}
		val = v.Default
	}
	if err := v.set(c, val); err != nil {
		shown := strconv.Quote(val)
		if v.Secret {
			shown = redacted
		}
		return []error{fmt.Errorf("%s=%s: %v", v.Name, shown, err)}
	}
	return nil
}

// value reads NAME or NAME_FILE; setting both is an error because it is
// never clear which one the operator meant.
func value(lookup func(string) (string, bool), name string) (string, bool, error) {
	direct, hasDirect := lookup(name)
	path, hasFile := lookup(name + "_FILE")
	switch {
	case hasDirect && hasFile:
		return "", false, fmt.Errorf("%s and %s_FILE are both set: set only one", name, name)
	case hasFile:
		b, err := os.ReadFile(path)
		if err != nil {
			return "", false, fmt.Errorf("%s_FILE: %v", name, err)
		}
		// Files written by editors and `echo` end in a newline that is
		// never part of a key.
		return strings.TrimRight(string(b), "\r\n"), true, nil
	default:
		return direct, hasDirect, nil
	}
}

// check reports the variables the chosen WHMCS mode needs but lacks.
func (w WHMCS) check() []error {
	var errs []error
	missing := func(name string) {
		errs = append(errs, fmt.Errorf("%s is required when STAAS_WHMCS_MODE=%s", name, w.Mode))
	}
	switch w.Mode {
	case "api":
		if w.APIURL == "" {
			missing("STAAS_WHMCS_API_URL")
		}
		if w.APIIdentifier == "" {
			missing("STAAS_WHMCS_API_IDENTIFIER")
		}
		if w.APISecret == "" {
			missing("STAAS_WHMCS_API_SECRET")
		}
	case "mysql":
		if w.DBDSN == "" {
			missing("STAAS_WHMCS_DB_DSN")
		}
	}
	return errs
}
