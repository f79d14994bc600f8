package usage

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"staas/internal/ostor"
	"staas/standin/ostorsim"
)

// genGateway serves generated statistics objects over loopback HTTP
// without keeping them. Object i comes from gateway service i%services,
// for the 30-minute period i/services, and has itemsPer items on distinct
// (user, bucket) cells: a window of a population of cells (users of four
// buckets each, one of them "" for user-level requests) that starts
// elsewhere in each object. Counters are derived from i. Listing pages by
// name, and deleted objects disappear, as on a gateway. It checks no
// signature: it measures the collector, not the simulator.
type genGateway struct {
	objects, itemsPer int
	services          int
	population        int
	start             time.Time
	mu                sync.Mutex
	deleted           map[string]bool
	names             []string
	index             map[string]int
}

func newGenGateway(objects, itemsPer, services, population int) *genGateway {
	g := &genGateway{objects: objects, itemsPer: itemsPer, services: services, population: population,
		start: ostorsim.DefaultStart, deleted: map[string]bool{}, index: map[string]int{}}
	for i := range objects {
		name := ostorsim.UsageObjectName(strconv.Itoa(80000000000000065+i%services), g.objectStart(i), 30*time.Minute)
		g.names = append(g.names, name)
		g.index[name] = i
	}
	sort.Strings(g.names)
	return g
}

func (g *genGateway) objectStart(i int) time.Time {
	return g.start.Add(time.Duration(i/g.services) * 30 * time.Minute)
}

func (g *genGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodDelete:
		g.mu.Lock()
		g.deleted[q.Get("obj")] = true
		g.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case q.Has("obj"):
		i, ok := g.index[q.Get("obj")]
		if !ok {
			http.Error(w, "no such object", http.StatusNotFound)
			return
		}
		g.writeObject(w, i)
	default:
		limit, _ := strconv.Atoi(q.Get("limit"))
		after := q.Get("after")
		g.mu.Lock()
		var items []string
		for _, n := range g.names {
			if n > after && !g.deleted[n] {
				items = append(items, n)
			}
		}
		g.mu.Unlock()
		truncated := limit > 0 && len(items) > limit
		if truncated {
			items = items[:limit]
		}
		list := "[]"
		if len(items) > 0 {
			list = `["` + strings.Join(items, `","`) + `"]`
		}
		fmt.Fprintf(w, `{"nr_items":%d,"truncated":%t,"items":%s}`, len(items), truncated, list)
	}
}

func (g *genGateway) writeObject(w http.ResponseWriter, i int) {
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	start := g.objectStart(i)
	fmt.Fprintf(bw, `{"fmt_version":1,"service_id":%d,"start_ts":%d,"period":1800,"nr_items":%d,"items":[`,
		80000000000000065+i%g.services, start.Unix(), g.itemsPer)
	var buf []byte
	offset := i * 7919 % g.population
	for k := range g.itemsPer {
		cell := (offset + k) % g.population
		buf = buf[:0]
		if k > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"key":{"bucket":"`...)
		if b := cell % 4; b > 0 {
			buf = append(buf, "bucket-"...)
			buf = strconv.AppendInt(buf, int64(b), 10)
		}
		buf = append(buf, `","epoch":1,"user_id":"`...)
		buf = fmt.Appendf(buf, "%016x", cell/4)
		buf = append(buf, `","tag":""},"counters":{"ops":{"put":`...)
		v := uint64(i*7 + k)
		buf = strconv.AppendUint(buf, v%100, 10)
		buf = append(buf, `,"get":`...)
		buf = strconv.AppendUint(buf, v%1000, 10)
		buf = append(buf, `,"list":1,"other":0},"net_io":{"uploaded":`...)
		buf = strconv.AppendUint(buf, v<<10, 10)
		buf = append(buf, `,"downloaded":`...)
		buf = strconv.AppendUint(buf, v<<12, 10)
		buf = append(buf, "}}}"...)
		_, _ = bw.Write(buf) // a client gone: nobody to tell
	}
	_, _ = bw.WriteString("]}")
}

// BenchmarkIngest collects 1,000,000 items in 200 objects of 5,000 through
// the ostor client over loopback HTTP into a fresh store, and reports items
// per second and the peak of the Go heap in use, sampled every 10 ms.
//
//	go test -run '^$' -bench Ingest -benchtime 1x ./internal/usage/
//
// Two shapes of traffic:
//
//   - services: 10 gateway services each write an object every 30
//     minutes (20 objects an hour, 10 hours), each on 5,000 of the hour's
//     10,000 (user, bucket) cells (2,500 users with 4 buckets): 100,000
//     ledger cells of about 10 items each. A cluster with several gateway
//     services looks like this.
//   - sparse: one service, 2 objects an hour on the same 5,000 cells:
//     500,000 cells of 2 items each, every item its own write. The worst
//     case for the store.
func BenchmarkIngest(b *testing.B) {
	const objects, itemsPer = 200, 5000
	shapes := []struct {
		name                 string
		services, population int
	}{
		{"services", 10, 10000},
		{"sparse", 1, itemsPer},
	}
	for _, be := range backends {
		for _, shape := range shapes {
			b.Run(be.name+"/"+shape.name, func(b *testing.B) {
				var elapsed time.Duration
				var peak uint64
				for b.Loop() {
					b.StopTimer()
					g := newGenGateway(objects, itemsPer, shape.services, shape.population)
					srv := httptest.NewServer(g)
					gw, err := ostor.New(ostor.Config{Endpoint: srv.URL, AccessKey: "bench", SecretKey: "bench"})
					if err != nil {
						b.Fatal(err)
					}
					st := openStore(b, be, be.dsn(b))
					c, err := New(Config{Gateway: gw, Store: st})
					if err != nil {
						b.Fatal(err)
					}
					runtime.GC()
					stop := make(chan struct{})
					var wg sync.WaitGroup
					var runPeak uint64
					wg.Go(func() {
						var ms runtime.MemStats
						t := time.NewTicker(10 * time.Millisecond)
						defer t.Stop()
						for {
							runtime.ReadMemStats(&ms)
							runPeak = max(runPeak, ms.HeapInuse)
							select {
							case <-stop:
								return
							case <-t.C:
							}
						}
					})
					b.StartTimer()
					t0 := time.Now()
					res, err := c.Run(b.Context())
					elapsed += time.Since(t0)
					b.StopTimer()
					close(stop)
					wg.Wait()
					peak = max(peak, runPeak)
					srv.Close()
					if err != nil || res.Items != objects*itemsPer || res.Collected != objects {
						b.Fatalf("%+v, %v", res, err)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(objects*itemsPer*b.N)/elapsed.Seconds(), "items/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			})
		}
	}
}
