package main

import (
	"context"
	"testing"

	"staas/standin/demo"
)

// The demo runs the product serve runs over two simulated ostor clusters
// and one simulated Dell ECS cluster (ecs-1), and /readyz reports all.
func TestDemo_TwoClusters(t *testing.T) {
	d, err := demo.Start(context.Background(), demoOptions("127.0.0.1:0", t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if len(d.Sims) != 2 || d.Sims["default"] != d.Sim || d.Sims["eu-2"] == nil {
		t.Fatalf("simulators %v", d.Sims)
	}
	if d.ECS == nil {
		t.Fatal("no ECS simulator")
	}
	code, body := getJSON(t, d.StaasURL+"/readyz")
	checks, _ := body["checks"].(map[string]any)
	if code != 200 || checks["ostor"] != "ok" || checks["ostor:eu-2"] != "ok" || checks["ecs:ecs-1"] != "ok" || checks["store"] != "ok" {
		t.Fatalf("/readyz = %d %v", code, body)
	}
}
