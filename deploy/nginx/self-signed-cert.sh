#!/bin/sh
# A TLS certificate for nginx's HTTPS server, so a phone on the local network can open the
# camera page (browsers capture the camera only on HTTPS pages, or on localhost).
#
# If $BEAMCAST_CERT_DIR (default /etc/nginx/certs) holds beamcast.crt and beamcast.key, they are
# used as they are: put your own certificate there (a full chain) and its key. Otherwise a
# self-signed certificate is made once, valid for localhost, 127.0.0.1 and each name or address
# in $TLS_NAMES (comma-separated, e.g. "192.168.1.20,cam.lan"); browsers warn about it once per
# device, and the page works once the warning is accepted. Delete both files to make a new one.
#
# docker-compose.yml mounts this into the nginx image's /docker-entrypoint.d/, which runs it
# before nginx starts; it runs the same way on any machine with openssl.
set -eu

dir="${BEAMCAST_CERT_DIR:-/etc/nginx/certs}"
crt="$dir/beamcast.crt"
key="$dir/beamcast.key"

if [ -s "$crt" ] && [ -s "$key" ]; then
  echo "beamcast: serving HTTPS with the certificate in $dir"
  exit 0
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "beamcast: no certificate in $dir and no openssl to make one: put beamcast.crt and beamcast.key there" >&2
  exit 1
fi

san="DNS:localhost,IP:127.0.0.1,IP:::1"
old_ifs=$IFS
IFS=','
for name in ${TLS_NAMES:-}; do
  name=$(printf '%s' "$name" | tr -d ' ')
  [ -n "$name" ] || continue
  case "$name" in
    *[!0-9.]*) case "$name" in *:*) san="$san,IP:$name" ;; *) san="$san,DNS:$name" ;; esac ;;
    *) san="$san,IP:$name" ;;
  esac
done
IFS=$old_ifs

mkdir -p "$dir"
umask 077
# Written under other names and moved into place, so nginx never reads half a pair. A server
# certificate, not a CA (browsers refuse a CA certificate as a server's); 825 days is the longest
# validity Apple devices accept.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
  -subj "/CN=beamcast" -addext "subjectAltName=$san" -addext "basicConstraints=critical,CA:FALSE" \
  -addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=serverAuth" \
  -keyout "$key.new" -out "$crt.new" 2>/dev/null
chmod 600 "$key.new"
chmod 644 "$crt.new"
mv "$key.new" "$key"
mv "$crt.new" "$crt"
echo "beamcast: made a self-signed certificate for $san in $dir"
