package provision

import (
	"context"
	"slices"

	"staas"
	"staas/internal/ostor"
)

// Notes writes and removes the guide's client notes, queueing what WHMCS
// cannot take now (*notes.Outbox). adminID is the admin who acted, told
// when a change is queued (0: nobody to tell).
type Notes interface {
	// Add writes the note of n, or queues it.
	Add(ctx context.Context, clientID, adminID int64, n staas.S3Note) error
	// Queue queues the note of n whatever WHMCS would answer; cause is
	// why it was not written at once.
	Queue(ctx context.Context, clientID, adminID int64, n staas.S3Note, cause error) error
	// Remove removes the notes of the user's key (all of the user's when
	// accessKeyID is ""), or queues their removal.
	Remove(ctx context.Context, clientID, adminID int64, userID, accessKeyID string) error
}

// addNote adds the guide's note of n, or queues it (internal/notes).
func (s *core) addNote(ctx context.Context, a Actor, n staas.S3Note) error {
	return s.notes.Add(ctx, a.ClientID, a.Admin.ID, n)
}

// removeNotes removes notes and tells the admin when WHMCS's API cannot.
// While WHMCS is unreachable, or earlier changes of the client's notes
// still wait in the outbox, the removal is queued instead (see addNote).
func (s *core) removeNotes(ctx context.Context, a Actor, userID, accessKeyID string) error {
	return s.notes.Remove(ctx, a.ClientID, a.Admin.ID, userID, accessKeyID)
}

// keySecret reads the secret of a queued note's key from the gateway when
// the outbox delivers it (no secret is queued). A user deleted or a key
// revoked meanwhile is ENOTFOUND: the note is dropped.
func (s *core) keySecret(ctx context.Context, userID, accessKeyID string) (string, error) {
	u, err := s.gw.User(ctx, ostor.ByID(userID))
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return "", staas.Errorf(staas.ENOTFOUND, "the S3 user no longer exists")
	}
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(u.Keys, func(k ostor.KeyPair) bool { return k.AccessKeyID == accessKeyID })
	if i < 0 {
		return "", staas.Errorf(staas.ENOTFOUND, "the access key was revoked meanwhile")
	}
	return u.Keys[i].SecretAccessKey, nil
}
