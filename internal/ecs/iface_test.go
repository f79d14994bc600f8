package ecs_test

import (
	"staas/internal/ecs"
	"staas/internal/provision"
	"staas/internal/usage"
)

var (
	_ provision.Backend = (*ecs.Client)(nil)
	_ usage.Backend     = (*ecs.Client)(nil)
)
