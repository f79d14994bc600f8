// Package loadbench holds issue 14's load and scale benchmarks: staas
// served as `serve` serves it (handlers over provision, the store and the
// cluster registry), driven through the signed shim protocol, against the
// ostor simulator over loopback HTTP. It has no code of its own; its test
// files are the benchmarks, run by hand (README "Performance"):
//
//	go test -run '^$' -bench . -benchtime 1x ./loadbench/
//
// `go test ./...` runs none of them and starts no MariaDB for them.
package loadbench
