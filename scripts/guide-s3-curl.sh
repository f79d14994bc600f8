#!/usr/bin/env bash
# guide-s3-curl.sh METHOD URL — the vendor guide's curl recipe, restated.
#
# The vendor's "Storage-as-a-Service Integration Guide" (Acronis
# Software-Defined Infrastructure 2.5, section 3.1.1 "Configuration") signs
# admin API requests with a small shell function. This file is not a copy
# of it: it is the recipe's facts, in our words, so that the recipe can be
# tested where the guide itself is not at hand. When the guide is present,
# scripts/guide-recipe-check.sh checks that both produce the same request.
#
# The facts:
#   1. The URL is cut at its last "/": what comes before is the base
#      (scheme, host and port), what follows is the query ("?ostor-users&…").
#   2. The date is the local time in RFC 2822 form (`date -R`).
#   3. The string to sign is five lines joined by newlines, with no newline
#      at the end: the method, an empty Content-MD5, an empty Content-Type,
#      the date, and "/" followed by the query up to its first "&" (the
#      service keyword: "/?ostor-users"). The other parameters are not signed.
#   4. The signature is base64 of the binary HMAC-SHA1 of that string keyed
#      with the system user's secret key.
#   5. curl sends four headers, in this order: Host (the base without its
#      scheme), "Accept: */*", Date, and "Authorization: AWS <key>:<signature>",
#      with -X METHOD, to base + "/" + query. It prints the body only.
#
# Keys come from S3_KEY and S3_SECRET, as for scripts/ostor-curl.sh.
# Sourced, the file only defines guide_s3_curl.

guide_s3_curl() {
	if [ $# -ne 2 ]; then
		echo "usage: guide_s3_curl GET|PUT|POST|DELETE 'http://host:port/?ostor-users&…'" >&2
		return 2
	fi
	local verb=$1 target=$2
	local base=${target%/*} rest=${target##*/}
	local hostport=${base#*://}
	local service=${rest%%&*}
	local when
	when=$(date -R)
	local sig
	sig=$(printf '%s\n\n\n%s\n/%s' "$verb" "$when" "$service" |
		openssl sha1 -hmac "${S3_SECRET:?set S3_SECRET}" -binary | base64)
	local headers=(
		-H "Host: $hostport"
		-H "Accept: */*"
		-H "Date: $when"
		-H "Authorization: AWS ${S3_KEY:?set S3_KEY}:$sig"
	)
	curl "${headers[@]}" -X "$verb" "$base/$rest"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	guide_s3_curl "$@"
fi
