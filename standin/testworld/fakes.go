package testworld

import (
	"bytes"
	"context"
	"sync"

	"staas"
	"staas/internal/provision"
)

// FlakyWHMCS is a real WHMCS bridge, except that while Fail has set an
// error code its note writes fail with that code without reaching WHMCS,
// as internal/whmcs reports a WHMCS that does not answer. Reading the
// client still works (WHMCS went away between the read and the write).
type FlakyWHMCS struct {
	provision.WHMCS
	mu   sync.Mutex
	fail string // "" = pass through
}

// Fail makes note writes fail with code from now on; "" lets them through.
func (f *FlakyWHMCS) Fail(code string) { f.mu.Lock(); f.fail = code; f.mu.Unlock() }

func (f *FlakyWHMCS) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail == "" {
		return nil
	}
	return staas.Errorf(f.fail, "WHMCS: the database could not be reached")
}

// AddS3Note writes the note unless Fail is set.
func (f *FlakyWHMCS) AddS3Note(ctx context.Context, clientID, adminID int64, n staas.S3Note) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.WHMCS.AddS3Note(ctx, clientID, adminID, n)
}

// RemoveS3Notes removes the notes unless Fail is set.
func (f *FlakyWHMCS) RemoveS3Notes(ctx context.Context, clientID, adminID int64, userID, accessKeyID string) (int, bool, error) {
	if err := f.err(); err != nil {
		return 0, false, err
	}
	return f.WHMCS.RemoveS3Notes(ctx, clientID, adminID, userID, accessKeyID)
}

// LogBuffer collects what a logger or a running subcommand writes, safe
// to read while it writes.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
