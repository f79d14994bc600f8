package main

import (
	"context"
	"fmt"
	"io"

	"staas/internal/config"
	"staas/internal/store"
)

// migrate applies the store's migrations and reports the schema version.
// serve migrates too; this is for operators who upgrade the schema before
// rolling out a new version to several replicas.
func migrate(ctx context.Context, args []string, lookup func(string) (string, bool), stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("migrate takes no arguments; it uses STAAS_STORE_DRIVER and STAAS_STORE_DSN")
	}
	c, err := config.LoadStore(lookup)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "store (%s) is at schema version %d\n", c.Driver, v)
	return nil
}

// openStore opens (and migrates) staas's store; every command that needs
// it opens it here, so failures read alike.
func openStore(ctx context.Context, c config.Store) (*store.Store, error) {
	st, err := store.Open(ctx, c.Driver, c.DSN.Reveal())
	if err != nil {
		return nil, fmt.Errorf("store (STAAS_STORE_DRIVER=%s): %w", c.Driver, err)
	}
	return st, nil
}
