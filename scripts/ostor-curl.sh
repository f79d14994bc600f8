#!/usr/bin/env bash
# ostor-curl.sh METHOD URL — send one signed request to an ostor admin API.
#
# Signs with AWS SigV2 the way the vendor's integration guide does: the
# string to sign ends with the service keyword only ("/?ostor-users"), not
# with the other parameters. Keys come from S3_KEY and S3_SECRET; the
# defaults are the example system user printed in the guide, which
# `staas sim -access-key … -secret-key …` can be started with.
set -euo pipefail
if [ $# -ne 2 ]; then
	echo "usage: $0 GET|PUT|POST|DELETE 'http://host:port/?ostor-users&emailAddress=…'" >&2
	exit 2
fi
method=$1 url=$2
key=${S3_KEY:-a14040e0b2ef8b28FZZ8}
secret=${S3_SECRET:-dbwTnQTW602aAAdq8DQVFzB6yrTCFTNiGB8C8RFA}

query=${url#*/\?}          # everything after "/?"
service=${query%%&*}       # the keyword before the first "&"
date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S +0000')
signature=$(printf '%s\n\n\n%s\n/?%s' "$method" "$date" "$service" |
	openssl dgst -sha1 -hmac "$secret" -binary | base64)

exec curl -sS -X "$method" \
	-H "Accept: */*" \
	-H "Date: $date" \
	-H "Authorization: AWS $key:$signature" \
	-w '\nHTTP %{http_code}\n' \
	"$url"
