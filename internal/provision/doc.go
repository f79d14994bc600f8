// Package provision says what each thing done to a client's S3 storage
// means end to end: which permission it needs, what it asks the gateway,
// what it records in staas's store, which WHMCS note it writes or removes
// (through internal/notes), what the audit log keeps and what the admin
// is told. Handlers stay thin: they decode a request, call one method
// here and render.
//
// New builds three parts over one shared core (service.go):
//
//   - AdminPanel: the WHMCS admin area's actions on one client (users.go,
//     limits.go, stats.go, purge.go), and the steps every admin button
//     goes through: Authorize, Check, ConfirmTyped, Run (audit.go).
//   - Lifecycle: WHMCS's module calls on a service (lifecycle.go; Terminate
//     in terminate.go, emptying buckets in purge.go) and the client area's
//     key buttons (service_keys.go).
//   - ClientEvents: WHMCS's client hooks and the daily report (events.go).
//
// provision is the one owner of the audit log's rows and of permission
// checks: every action records its own outcome and checks its own
// permission. config.go reads and validates a product's Module Settings.
//
// Storage is reached through Backend, one per cluster (backend.go): every
// call on a mapped S3 user goes to the cluster its mapping names, and a
// module call's cluster comes from the WHMCS server entry. A backend's
// Capabilities say which optional features it has; a product setting or
// an action it cannot honour is refused, naming it, before anything is
// sent. notes.go hands the note outbox the secret of a queued key.
package provision
