// Package whmcs is staas's adapter to WHMCS: what staas asks of WHMCS
// (the other direction, WHMCS calling staas through the PHP shim, is the
// protocol in package whmcsbridge):
//
//   - APIClient, a client of WHMCS's external API (includes/api.php):
//     clients, their products, AddClientNote (api.go);
//   - DB, parameterised SQL on WHMCS's own database (tblclients,
//     tblnotes), portable between MySQL/MariaDB and SQLite (db.go);
//   - APIBridge and DBBridge, the two writers of the vendor guide's
//     client notes behind one interface, Bridge, built by Open from the
//     adapter's own Config, which cmd/staas fills from STAAS_WHMCS_*
//     (notes.go).
//
// Every failure is a *staas.Error. Secrets (the API secret and access key,
// the database password, users' secret keys) never appear in an error.
//
// # Client notes: what the WHMCS API can and cannot do
//
// The WHMCS API can add a client note (AddClientNote) but has no command
// to list, edit or delete one. Its API index lists AddClientNote as the
// only client-note command; the delete commands it has are for tickets'
// notes (DeleteTicketNote), not clients'; UpdateAdminNotes edits the
// calling admin's own notepad and UpdateClient's "notes" is the client
// profile's single "Admin only notes" field (tblclients.notes), neither
// of which is a client note (tblnotes). Sources: WHMCS/developer-docs,
// api/api-index.md and api-reference/addclientnote.md, updateadminnotes.md
// and updateclient.md (published at developers.whmcs.com/api/api-index/).
// A decompiled copy of WHMCS 8.12's includes/api directory (unofficial,
// read only to confirm) agrees: addclientnote and deleteticketnote are
// there, no other command on client notes.
//
// So in "mysql" mode DBBridge removes the guide's note of a revoked key or
// deleted user itself (matching whole lines, by note id, in a
// transaction), while in "api" mode APIBridge cannot: it adds a note
// naming the S3 user id and access key id whose note an admin must delete
// by hand (never the secret), and reports manual=true.
package whmcs
