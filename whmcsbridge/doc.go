// Package whmcsbridge is the shim protocol v1: what the PHP shim inside
// WHMCS and staas agree on, and nothing else (docs/shim-protocol.md is the
// contract; testdata/shim holds the fixtures both sides test against).
//
//   - signing and checking requests: Sign, SignRequest, the Verifier and
//     its NonceCache (shim.go);
//   - the payloads: module calls, client-area actions and usage
//     (ModuleRequest, UsageRequest, ModuleResponse… in module.go, each
//     request naming its WHMCS server's cluster), the
//     MetricProvider's figures (metrics.go), the admin panel's requests
//     and answers (AdminRequest, ActionRequest, PanelsResponse… in
//     shim.go), the hooks' events, and the anchors of results;
//   - a product's Module Settings as the shim sends them
//     (ProductSettings, settings.go): wire names, WHMCS's friendly names
//     and configoption order, declared once for all of staas;
//   - how the payloads are read: strictly (strict.go: no null, no unknown
//     field, no float for an id) where the shim writes them, leniently
//     (lenient.go) where PHP's json_encode leaves a choice.
//
// It is a leaf: it imports only package staas and the standard library,
// so both the handlers that serve the shim and the tests that play it
// can use it without pulling in the rest of staas. What staas asks of
// WHMCS in turn (its API, its database, the client notes) is
// internal/whmcs. Validation that needs more than the payload's shape
// (the settings' ranges, a cluster that exists) is provision's.
package whmcsbridge
