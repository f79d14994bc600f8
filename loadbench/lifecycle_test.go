package loadbench_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"staas/standin/ostorsim"
	"staas/whmcsbridge"
)

// lifecycleClients is how many WHMCS crons call at once.
const lifecycleClients = 32

// lifecycleLatency is how late the simulated gateway answers.
const lifecycleLatency = 5 * time.Millisecond

// BenchmarkLifecycle: WHMCS's module calls through the signed protocol,
// with every gateway answer 5 ms late (the simulator's latency fault).
// One iteration is a service's whole life, five calls: create, suspend,
// unsuspend, change-package, terminate, each service its own; 32 clients
// at once. It reports the sustained calls/s and the p50/p99 of one call.
//
//	go test -run '^$' -bench Lifecycle -benchtime 400x ./loadbench/
func BenchmarkLifecycle(b *testing.B) {
	for _, backend := range []string{"sqlite", "mariadb"} {
		b.Run(backend, func(b *testing.B) {
			w := newWorld(b, backend)
			w.Sim.SetFaults(ostorsim.Faults{Latency: lifecycleLatency})
			var next atomic.Int64
			next.Store(100_000)
			var mu sync.Mutex
			var lat []time.Duration
			perFn := map[string][]time.Duration{}
			var failed atomic.Value
			b.SetParallelism(max(1, lifecycleClients/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				mineFn := map[string][]time.Duration{}
				for pb.Next() {
					id := next.Add(1)
					for _, fn := range []string{whmcsbridge.FuncCreate, whmcsbridge.FuncSuspend, whmcsbridge.FuncUnsuspend,
						whmcsbridge.FuncChangePackage, whmcsbridge.FuncTerminate} {
						req := whmcsbridge.ModuleRequest{ServiceID: id, ClientID: 1, ClientEmail: "alice@example.com", ProductID: 3,
							ServerID: 1, Status: "Active", Config: &whmcsbridge.ProductSettings{OpsGet: "100", BandwidthOut: "2048", QuotaGB: "100"}}
						if fn == whmcsbridge.FuncChangePackage {
							req.Config.QuotaGB = strconv.Itoa(200)
						}
						t0 := time.Now()
						raw, err := w.post(whmcsbridge.ModulePath(fn), req)
						d := time.Since(t0)
						mine = append(mine, d)
						mineFn[fn] = append(mineFn[fn], d)
						var res whmcsbridge.Result
						if err == nil {
							if jerr := json.Unmarshal(raw, &res); jerr != nil || res.Result != "success" {
								err = fmt.Errorf("%s of %d: %s", fn, id, raw)
							}
						}
						if err != nil {
							failed.CompareAndSwap(nil, err)
							return
						}
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				for fn, ds := range mineFn {
					perFn[fn] = append(perFn[fn], ds...)
				}
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "calls/s")
			b.ReportMetric(ms(quantile(lat, 0.50)), "p50-ms")
			b.ReportMetric(ms(quantile(lat, 0.99)), "p99-ms")
			for fn, ds := range perFn {
				b.ReportMetric(ms(quantile(ds, 0.99)), fn+"-p99-ms")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}
