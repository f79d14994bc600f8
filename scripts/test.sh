#!/usr/bin/env bash
# The one test command (README: "Run every test"). It installs what the
# tests need on a fresh Debian machine when run as root, and fails loudly,
# never skips, when a tool is missing and cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-4s}

apt_updated=
need() { # need <command> <debian package>
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "test.sh: '$1' is missing; install the Debian package '$2' (or run this script as root)" >&2
		exit 1
	fi
	if [ -z "$apt_updated" ]; then
		apt-get update -qq
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
	command -v "$1" >/dev/null 2>&1 || { echo "test.sh: installing $2 did not provide '$1'" >&2; exit 1; }
}

need go golang-go
need openssl openssl # SigV2 vectors are cross-checked against openssl's HMAC
need curl curl       # the guide's curl recipe is run against the simulator

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go tool staticcheck ./...

echo "== go test"
go test -race -count=1 ./...

echo "== fuzz (each target for $FUZZTIME)"
# Every Fuzz target in the tree gets a short run, so a new target is fuzzed
# without anyone editing this list.
grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . | while read -r file; do
	pkg="./$(dirname "${file#./}")"
	for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | cut -d' ' -f2); do
		echo "-- $pkg $target"
		go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$pkg" >/tmp/staas-fuzz.log 2>&1 || {
			cat /tmp/staas-fuzz.log >&2
			exit 1
		}
	done
done

echo "== the vendor's curl recipe against staas sim"
scripts/guide-recipe-check.sh

echo "== all tests passed"
