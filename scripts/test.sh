#!/usr/bin/env bash
# The one test command (README: "Run every test"). It installs what the
# tests need on a fresh Debian machine when run as root, and fails loudly,
# never skips, when a tool is missing and cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

# An execution count, not a duration: Go 1.26's fuzz coordinator can fail a
# duration-bounded run with a spurious "context deadline exceeded" when the
# machine is busy (golang/go#75804, fixed in Go 1.27). A count has no
# deadline to race.
FUZZTIME=${FUZZTIME:-60000x}

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

# The Go toolchain of this machine kind lives in /usr/local/go; a bare
# Debian's golang-go is older than go.mod asks for, and then `go` fetches the
# right toolchain from the module proxy by itself (GOTOOLCHAIN=auto).
[ -d /usr/local/go/bin ] && PATH="/usr/local/go/bin:$PATH"
need go golang-go
need make make # cmd/staas runs the README's `make demo ADDR=…`
need openssl openssl # SigV2 vectors are cross-checked against openssl's HMAC
need curl curl       # the guide's curl recipe is run against the simulator
# internal/store and whmcsbridge test against a private MariaDB server
# (standin/mariadbtest); Debian installs mariadbd in /usr/sbin, which a
# non-root PATH often lacks.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin" ;; esac
need mariadbd mariadb-server
need mariadb-install-db mariadb-server
# deploy/ checks the files the README's "Deploy" section installs, with the
# tools that read them: systemd-analyze verify of the unit, nginx -t of the
# site (installing nginx on a machine with systemd running also starts it).
need systemd-analyze systemd
need nginx nginx
need chromium chromium # cmd/staas's browser test (demo_browser_test.go) drives the demo in headless Chromium
# cmd/staas's TestRealS3Tools runs the real S3 tools against `staas sim`. The
# AWS CLI is the Debian package's /usr/bin/aws: an `aws` earlier in PATH
# (a pyenv shim, a pip install) is not what the test runs.
need s3cmd s3cmd
need /usr/bin/aws awscli
need rclone rclone
# php-shim's PHPUnit suite runs inside `go test ./php-shim` against real
# staas servers; the shim needs PHP's curl extension.
need php php-cli
need phpunit phpunit
# The shim's static checks: php -l on every file, and phpcs with the
# shim's ruleset (php-shim/phpcs.xml: PSR-12 and stricter). phpstan is not
# packaged by Debian; docs/decisions.md says why phpcs stands in for it.
need phpcs php-codesniffer
if ! php -m | grep -qx curl; then
	if [ "$(id -u)" != 0 ]; then
		echo "test.sh: PHP's curl extension is missing; install the Debian package 'php-curl' (or run this script as root)" >&2
		exit 1
	fi
	[ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-curl >/dev/null
	php -m | grep -qx curl || { echo "test.sh: installing php-curl did not give PHP its curl extension" >&2; exit 1; }
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi

echo "== templ generate leaves no diff"
# Generated *_templ.go files are committed; a .templ edited without
# regenerating would ship views that differ from their source.
go tool templ generate >/dev/null 2>&1 || { go tool templ generate; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	stale=$( (git diff --name-only -- '*_templ.go'; git ls-files --others --exclude-standard -- '*_templ.go') | sort -u)
	if [ -n "$stale" ]; then
		echo "templ generate changed or added: $stale (run go tool templ generate and commit)" >&2
		exit 1
	fi
fi

echo "== php -l and phpcs (php-shim)"
find php-shim -name '*.php' -print0 | sort -z | while IFS= read -r -d '' file; do
	php -d display_errors=1 -l "$file" >/dev/null || { php -d display_errors=1 -l "$file"; exit 1; }
done
phpcs --standard=php-shim/phpcs.xml --basepath=php-shim -q

echo "== go vet"
go vet ./...

echo "== staticcheck"
go tool staticcheck ./...

echo "== golangci-lint"
# A Go tool (go.mod's tool block), configured by .golangci.yml: the
# defaults plus errcheck, sqlclosecheck and gocritic. Its first build takes
# about a minute, a run about 40 s cold and seconds when cached.
go tool golangci-lint run ./...

echo "== go test"
# -v so every test and subtest can be counted for the closing line; the
# verbose log is shown only when something fails.
gotest_log=$(mktemp)
if ! go test -race -count=1 -v ./... >"$gotest_log" 2>&1; then
	cat "$gotest_log"
	echo "go test failed" >&2
	exit 1
fi
grep -E '^(ok|FAIL|\?) ' "$gotest_log"
go_passed=$(grep -cE '^\s*--- PASS' "$gotest_log" || true)
go_failed=$(grep -cE '^\s*--- FAIL' "$gotest_log" || true)

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
recipe_out=$(scripts/guide-recipe-check.sh)
echo "$recipe_out"
recipe_passed=$(sed -nE 's/^guide recipe: ([0-9]+) of [0-9]+ checks passed$/\1/p' <<<"$recipe_out")

echo "== all tests passed"
echo "total: $((go_passed + recipe_passed)) passed, $go_failed failed"
