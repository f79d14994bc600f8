package provision

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"staas"
	"staas/whmcsbridge"
)

// ProductConfig is a WHMCS product's Module Settings (configoption1…9) as
// the shim sends them, by wire name, each the text the admin entered; ""
// is "not set". The settings are declared once, by the protocol
// (whmcsbridge.ProductSettings, whose names and order it also keeps);
// ProductConfig is that type with provision's rules on it: Validate says
// what is wrong with the settings before anything is sent to the
// gateway. docs/shim-protocol.md ("ModuleRequest") has the rules.
type ProductConfig whmcsbridge.ProductSettings

// whmcsName is the friendly name WHMCS shows for the setting of that wire
// name.
func whmcsName(wire string) string {
	for _, s := range whmcsbridge.ProductSettingNames() {
		if s.Wire == wire {
			return s.WHMCS
		}
	}
	return wire
}

// values returns the settings' values in configoption order.
func (c ProductConfig) values() []string { return whmcsbridge.ProductSettings(c).Values() }

// What "Buckets left at termination" may say.
const (
	TerminateFail  = "fail"  // refuse to terminate while buckets are left (the default)
	TerminatePurge = "purge" // empty and delete them, then the user
)

// DefaultEmailTemplate makes each service's S3 user address from the
// client's: zoe@example.com, service 1234 → zoe+s3-1234@example.com.
const DefaultEmailTemplate = "{local}+s3-{service_id}@{domain}"

// maxTemplate bounds the template; the address it makes is at most 254
// bytes anyway.
const maxTemplate = 255

// product is a valid ProductConfig, parsed.
type product struct {
	ops       []float64 // by staas.OpsResources: default, get, put, list, delete
	bandwidth uint64    // KB/s, 0 unlimited
	quotaGB   uint64    // 0 none
	purge     bool
	template  string
}

// unlimited reports whether the product sets no limit at all.
func (p product) unlimited() bool {
	for _, v := range p.ops {
		if v != 0 {
			return false
		}
	}
	return p.bandwidth == 0
}

// Validate checks every setting. The error is EINVALID with FieldErrors
// keyed by wire name; its message names each wrong setting as WHMCS shows
// it, so the admin knows which box to fix.
func (c ProductConfig) Validate() error {
	_, err := c.parse()
	return err
}

// opsDecimal is a plain decimal: digits, at most one point; signs,
// exponents and hex floats, which ParseFloat would take, are not what an
// admin means.
var opsDecimal = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

func (c ProductConfig) parse() (product, error) {
	settings := whmcsbridge.ProductSettingNames()
	values := c.values()
	f := FieldErrors{}
	var order []string // wire names of wrong settings, in configoption order
	bad := func(i int, format string, args ...any) {
		s := settings[i]
		f[s.Wire] = fmt.Sprintf("Module setting %q ", s.WHMCS) + fmt.Sprintf(format, args...)
		order = append(order, s.Wire)
	}
	var p product
	for i := range 5 {
		v := strings.TrimSpace(values[i])
		if v == "" {
			p.ops = append(p.ops, 0)
			continue
		}
		n, problem := parseOps(v)
		switch problem {
		case numSyntax, numNegative:
			bad(i, "must be a number of operations per second, 0 or more (got %q).", cut(v))
		case numTooLarge:
			bad(i, "must be at most %s operations per second (got %q).", staas.Grouped(maxOps), cut(v))
		case numTooPrecise:
			bad(i, "may have at most 2 decimals, as ostor keeps them (got %q).", cut(v))
		}
		p.ops = append(p.ops, n)
	}
	if v := strings.TrimSpace(c.BandwidthOut); v != "" {
		n, problem := parseWhole(v, maxBandwidth)
		switch problem {
		case numSyntax, numNegative:
			bad(5, "must be a whole number of KB/s, 0 or more (got %q).", cut(v))
		case numTooLarge:
			bad(5, "is more bandwidth than any link carries (got %q).", cut(v))
		}
		p.bandwidth = n
	}
	if v := strings.TrimSpace(c.QuotaGB); v != "" {
		n, problem := parseWhole(v, maxQuotaGB)
		switch problem {
		case numSyntax, numNegative:
			bad(6, "must be a whole number of GB, 0 or more (got %q).", cut(v))
		case numTooLarge:
			bad(6, "must be at most %s GB (got %q).", staas.Grouped(maxQuotaGB), cut(v))
		}
		p.quotaGB = n
	}
	switch v := strings.ToLower(strings.TrimSpace(c.TerminateBuckets)); v {
	case "", TerminateFail:
	case TerminatePurge:
		p.purge = true
	default:
		bad(7, "must be %s or %s (got %q).", TerminateFail, TerminatePurge, cut(c.TerminateBuckets))
	}
	tmpl, msg := checkTemplate(c.EmailTemplate)
	if msg != "" {
		bad(8, "%s", msg)
	}
	p.template = tmpl
	if len(order) > 0 {
		msgs := make([]string, len(order))
		for i, w := range order {
			msgs[i] = f[w]
		}
		return product{}, &staas.Error{Code: staas.EINVALID, Message: strings.Join(msgs, " "), Err: f}
	}
	return p, nil
}

// decimals counts the digits after the point.
func decimals(v string) int {
	_, frac, ok := strings.Cut(v, ".")
	if !ok {
		return 0
	}
	return len(frac)
}

// cut keeps an echoed bad value short.
func cut(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// The template's placeholders.
var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

var placeholders = map[string]bool{"{email}": true, "{local}": true, "{domain}": true, "{service_id}": true, "{client_id}": true}

// checkTemplate returns the template to use ("" means the default) and,
// when it is wrong, why (the rest of a message after the setting's name).
func checkTemplate(t string) (string, string) {
	t = strings.TrimSpace(t)
	if t == "" {
		return DefaultEmailTemplate, ""
	}
	if len(t) > maxTemplate {
		return "", fmt.Sprintf("is longer than %d characters.", maxTemplate)
	}
	for _, ph := range placeholder.FindAllString(t, -1) {
		if !placeholders[ph] {
			return "", fmt.Sprintf("has an unknown placeholder %s: use {email}, {local}, {domain}, {service_id} or {client_id}.", cut(ph))
		}
	}
	if strings.ContainsAny(placeholder.ReplaceAllString(t, ""), "{}") {
		return "", fmt.Sprintf("has a brace that is not part of a placeholder (got %q).", cut(t))
	}
	if !strings.Contains(t, "{service_id}") {
		return "", fmt.Sprintf("must contain {service_id}, so that each service gets its own S3 user (got %q).", cut(t))
	}
	// A template that cannot make an address for a plain client email
	// would fail every creation: say so now.
	const sample = "client@example.com"
	if addr := fill(t, sample, 1234, 42); !validAddress(addr) {
		return "", fmt.Sprintf("does not make a valid email address (for %s and service 1234 it makes %q).", sample, cut(addr))
	}
	return t, ""
}

// fill puts a client's email, service and client id into the template.
func fill(t, clientEmail string, serviceID, clientID int64) string {
	at := strings.LastIndex(clientEmail, "@")
	local, domain := clientEmail, ""
	if at >= 0 {
		local, domain = clientEmail[:at], clientEmail[at+1:]
	}
	return strings.NewReplacer(
		"{email}", clientEmail,
		"{local}", local,
		"{domain}", domain,
		"{service_id}", strconv.FormatInt(serviceID, 10),
		"{client_id}", strconv.FormatInt(clientID, 10),
	).Replace(t)
}

// Email makes the address of a service's S3 user from the template and
// the client's email. The address must be one the gateway takes: a bare
// address of at most 254 bytes (internal/ostor's rule).
func (c ProductConfig) Email(clientEmail string, serviceID, clientID int64) (string, error) {
	setting := whmcsName(whmcsbridge.SettingEmailTemplate)
	tmpl, msg := checkTemplate(c.EmailTemplate)
	if msg != "" {
		m := fmt.Sprintf("Module setting %q %s", setting, msg)
		return "", &staas.Error{Code: staas.EINVALID, Message: m, Err: FieldErrors{whmcsbridge.SettingEmailTemplate: m}}
	}
	if serviceID <= 0 || clientID <= 0 {
		return "", staas.Errorf(staas.EINVALID, "A service id and a client id are needed to make the S3 user's email (got service %d, client %d).", serviceID, clientID)
	}
	clientEmail = strings.TrimSpace(clientEmail)
	at := strings.LastIndex(clientEmail, "@")
	if at <= 0 || at == len(clientEmail)-1 {
		return "", staas.Errorf(staas.EINVALID, "WHMCS client %d's email address %q has no local part and domain to fill the %q.", clientID, cut(clientEmail), setting)
	}
	addr := fill(tmpl, clientEmail, serviceID, clientID)
	if !validAddress(addr) {
		m := fmt.Sprintf("The %q makes %q from WHMCS client %d's email %q, which is not a valid email address for an S3 user.", setting, cut(addr), clientID, cut(clientEmail))
		return "", &staas.Error{Code: staas.EINVALID, Message: m, Err: FieldErrors{whmcsbridge.SettingEmailTemplate: m}}
	}
	return addr, nil
}

// validAddress applies internal/ostor's rule for a user's email, so an
// address staas makes is refused here, with the setting named, rather
// than by the gateway client.
func validAddress(s string) bool { return staas.EmailProblem(s) == "" }
