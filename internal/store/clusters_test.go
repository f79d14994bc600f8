package store

import (
	"testing"

	"staas"
)

func testClusters(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)

	none, err := s.Clusters(ctx)
	mustNil(t, err)
	if len(none) != 0 {
		t.Fatalf("a new store has clusters: %+v", none)
	}
	seed := Cluster{Name: "default", Kind: ClusterOstor, AdminEndpoint: "https://s3.example.com", Signature: "v2",
		Region: "us-east-1", Credentials: "env:STAAS_OSTOR"}
	added, err := s.SeedCluster(ctx, seed)
	mustNil(t, err)
	if !added {
		t.Fatal("the seed was not added to an empty registry")
	}
	seed.AdminEndpoint = "https://changed.example.com"
	added, err = s.SeedCluster(ctx, seed)
	mustNil(t, err)
	if added {
		t.Fatal("a seed was added twice")
	}
	eu := Cluster{Name: "eu-2", Kind: ClusterOstor, AdminEndpoint: "https://eu.example.com", DataEndpoint: "https://s3.eu.example.com",
		Signature: "v4", Region: "eu-west-2", Credentials: "file:/etc/staas/eu-2.creds"}
	mustNil(t, s.AddCluster(ctx, eu))
	wantCode(t, s.AddCluster(ctx, eu), staas.ECONFLICT)

	got, err := s.Clusters(ctx)
	mustNil(t, err)
	if len(got) != 2 || got[0].Name != "default" || !got[0].IsDefault || got[1].Name != "eu-2" || got[1].IsDefault ||
		got[1].DataEndpoint != eu.DataEndpoint || got[1].Credentials != eu.Credentials || got[1].Region != "eu-west-2" || got[1].Signature != "v4" {
		t.Fatalf("clusters %+v", got)
	}

	// Never a secret, a bad name or an unknown kind.
	for _, c := range []Cluster{
		{Name: "x", Kind: ClusterOstor, AdminEndpoint: "https://x", Signature: "v2", Credentials: "AKIA:secret"},
		{Name: "Bad Name", Kind: ClusterOstor, AdminEndpoint: "https://x", Signature: "v2", Credentials: "env:X"},
		{Name: "x", Kind: "s3", AdminEndpoint: "https://x", Signature: "v2", Credentials: "env:X"},
		{Name: "x", Kind: ClusterOstor, AdminEndpoint: "https://x", Signature: "v3", Credentials: "env:X"},
		{Name: "x", Kind: ClusterOstor, Signature: "v2", Credentials: "env:X"},
	} {
		wantCode(t, s.AddCluster(ctx, c), staas.EINVALID)
	}

	// Removal: refused while a mapping names the cluster, or while it is
	// the default and others remain.
	mustNil(t, s.SaveS3User(ctx, staas.S3User{ClientID: 1, ServiceID: 9, Cluster: "eu-2", UserID: "0123456789abcdef", Email: "a@example.com"}))
	wantCode(t, s.RemoveCluster(ctx, "eu-2"), staas.ECONFLICT)
	wantCode(t, s.RemoveCluster(ctx, "default"), staas.ECONFLICT)
	wantCode(t, s.RemoveCluster(ctx, "nowhere"), staas.ENOTFOUND)
	mustNil(t, s.DeleteS3User(ctx, 1, 9))
	mustNil(t, s.RemoveCluster(ctx, "eu-2"))

	// A new default takes the mark.
	eu.IsDefault = true
	mustNil(t, s.AddCluster(ctx, eu))
	got, err = s.Clusters(ctx)
	mustNil(t, err)
	if len(got) != 2 || got[0].IsDefault || !got[1].IsDefault {
		t.Fatalf("after a new default: %+v", got)
	}
}

// Clusters registered before the first start of a staas that seeds: the
// seed still comes, and is the default only if none of them is.
func testClustersSeedAfterAdd(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	mustNil(t, s.AddCluster(ctx, Cluster{Name: "eu-2", Kind: ClusterOstor, AdminEndpoint: "https://eu", Signature: "v2", Credentials: "env:EU"}))
	added, err := s.SeedCluster(ctx, Cluster{Name: "default", Kind: ClusterOstor, AdminEndpoint: "https://s3", Signature: "v2", Credentials: "env:STAAS_OSTOR"})
	mustNil(t, err)
	got, err := s.Clusters(ctx)
	mustNil(t, err)
	if !added || len(got) != 2 || got[0].Name != "default" || !got[0].IsDefault || got[1].IsDefault {
		t.Fatalf("added %t, clusters %+v", added, got)
	}
}
