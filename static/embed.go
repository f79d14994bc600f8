// Package static holds the files staas serves as they are: the stylesheet
// of the WHMCS stand-in. They are embedded so the binary needs nothing
// beside it, and nothing comes from a CDN (an admin may be offline).
package static

import "embed"

// FS holds the stylesheets.
//
//go:embed *.css
var FS embed.FS
