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
//   - Lifecycle: WHMCS's module calls on a service and the client area's
//     key buttons (lifecycle.go).
//   - ClientEvents: WHMCS's client hooks and the daily report (events.go).
//
// provision is the one owner of the audit log's rows and of permission
// checks: every action records its own outcome and checks its own
// permission. config.go reads and validates a product's Module Settings.
package provision
