// Package whmcsbridge is everything in staas that speaks WHMCS:
//
//   - APIClient, a client of WHMCS's external API (includes/api.php);
//   - DB, parameterised SQL on WHMCS's own database (tblclients, tblnotes),
//     portable between MySQL/MariaDB and SQLite;
//   - APIBridge and DBBridge, the two writers of the vendor guide's client
//     notes behind one set of methods (Bridge, chosen by FromConfig);
//   - the shim protocol v1 (docs/shim-protocol.md): payload types, signing
//     and the Verifier of the PHP shim's requests.
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
package whmcsbridge
