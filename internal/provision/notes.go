package provision

import (
	"context"
	"slices"

	"staas"
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

// noteSecrets reads the secret of a queued note's key from its user's
// cluster when the outbox delivers it (no secret is queued).
type noteSecrets struct{ *core }

// Source is the cluster of a queued note's user: the cluster of the
// client's mapping that names it, or the default when none does any more
// (the user is then most likely gone, and the note dropped). A store that
// cannot say is an error: guessing the default would look the key up on
// the wrong cluster and drop the note as gone.
func (s noteSecrets) Source(ctx context.Context, clientID int64, userID string) (string, error) {
	users, err := s.store.S3UsersOfClient(ctx, clientID)
	if err != nil {
		return "", err
	}
	for _, u := range users {
		if u.UserID == userID {
			return u.Cluster, nil
		}
	}
	return s.clusters.Default(), nil
}

// Secret reads the key's secret on cluster. A user deleted or a key
// revoked meanwhile is ENOTFOUND: the note is dropped.
func (s noteSecrets) Secret(ctx context.Context, cluster, userID, accessKeyID string) (string, error) {
	u, err := s.at(cluster).User(ctx, staas.ByID(userID))
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return "", staas.Errorf(staas.ENOTFOUND, "the S3 user no longer exists")
	}
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(u.Keys, func(k staas.KeyPair) bool { return k.AccessKeyID == accessKeyID })
	if i < 0 {
		return "", staas.Errorf(staas.ENOTFOUND, "the access key was revoked meanwhile")
	}
	return u.Keys[i].SecretAccessKey, nil
}
