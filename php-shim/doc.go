// Package phpshim is the PHP shim WHMCS runs (includes/ and modules/,
// copied into WHMCS by its admins) and, in Go, the harness that runs its
// PHPUnit suite against a real `staas serve`. No Go code ships from here.
package phpshim
