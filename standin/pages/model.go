// Package pages renders the pages of the WHMCS stand-in that `staas demo`
// and the browser tests use in place of a real WHMCS: a client list and a
// client summary page that shows what staas renders for WHMCS (the "Other
// Actions" groups and the summary panels) the way WHMCS would.
//
// ClientList and ClientSummary are whole pages (they use Layout); the
// stand-in's routes are the paths below, as in WHMCS's admin folder.
package pages

import (
	"strconv"
	"strings"
	"time"

	"staas"
)

// Paths of the stand-in, as its pages link and post to them.
const (
	// StylesheetURL is where the pages expect static/whmcs-standin.css;
	// the stand-in serves static.FS under /static/.
	StylesheetURL = "/static/whmcs-standin.css"
	IndexPath     = "/"
	SummaryPath   = "/admin/clientssummary.php"
	LoginPath     = "/admin/login.php"
	// ResellersURL is the "staas resellers" addon's page, at WHMCS's
	// addonmodules.php?module=NAME.
	ResellersURL = "/admin/addonmodules.php?module=staas_resellers"
)

// SummaryURL is the summary page of a client.
func SummaryURL(clientID int64) string {
	return SummaryPath + "?userid=" + strconv.FormatInt(clientID, 10)
}

// AdminVM is the admin the stand-in is logged in as, and the admins one
// may switch to (to see the page of an admin without a permission). The
// switch posts admin, back and the session's CSRF token to LoginPath.
type AdminVM struct {
	ID      int64
	Name    string
	Token   string
	Back    string // the page to return to after switching
	Choices []AdminChoice
}

// AdminChoice is one admin one may switch to.
type AdminChoice struct {
	ID   int64
	Name string
}

// Note is one client note, as WHMCS keeps them (the guide writes the S3
// user and key pairs into notes).
type Note struct {
	ID      int64
	Created time.Time
	Text    string
}

// ClientListVM is the stand-in's index: every client.
type ClientListVM struct {
	Clients []staas.Client
	Admin   AdminVM
	// Notice is a message for the admin (something could not be read).
	Notice string
}

// AddonVM is an addon module's page: WHMCS's frame around what the
// addon's _output printed (here staas's reseller page).
type AddonVM struct {
	Title string
	Admin AdminVM
	// HTML is what staas rendered for the page.
	HTML string
	// Notice says why staas's page is missing, or that the admin's role
	// has no access to the addon.
	Notice string
}

// ClientSummaryVM is one client's summary page.
type ClientSummaryVM struct {
	// Clients are listed on the left, Client's entry marked as current;
	// with none, the left column links back to the client list.
	Clients []staas.Client
	Client  staas.Client
	Admin   AdminVM
	// Links are the "Other Actions" groups staas rendered, one list item
	// each, as WHMCS shows a hook's array.
	Links []string
	// PanelsHTML is the summary panels staas rendered.
	PanelsHTML string
	Notes      []Note
	// Notice says why staas's part is missing (staas could not be reached).
	Notice string
}

// fullName is the client's name as WHMCS shows it.
func fullName(c staas.Client) string {
	return strings.TrimSpace(c.FirstName + " " + c.LastName)
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// noteTime is when a note was written, as WHMCS's admin area shows it.
func noteTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04")
}

func noteDatetime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
