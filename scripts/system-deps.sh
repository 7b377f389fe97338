#!/usr/bin/env bash
# Install the Debian packages the platform and its tests use, when missing.
# Best effort: without root or without apt, it says what is missing and carries on
# (the tests that need a missing binary are skipped with that reason).
set -u
want=(ffmpeg postgresql redis-server chromium fonts-noto-cjk wrk nginx-light openssl)
declare -A bin_of=([ffmpeg]=ffprobe [postgresql]=initdb [redis-server]=redis-server [chromium]=chromium
                   [fonts-noto-cjk]="" [wrk]=wrk [nginx-light]=nginx [openssl]=openssl)
missing=()
for pkg in "${want[@]}"; do
  b=${bin_of[$pkg]}
  if [ "$pkg" = postgresql ]; then
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && continue
  elif [ -n "$b" ]; then
    command -v "$b" >/dev/null 2>&1 && continue
  else
    dpkg -s "$pkg" >/dev/null 2>&1 && continue
  fi
  missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]} (need root and apt-get to install); related tests will be skipped" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
  || echo "system-deps: apt-get install ${missing[*]} failed; related tests will be skipped" >&2
# Debian starts services on install; the tests run their own throw-away servers.
for svc in postgresql redis-server nginx; do service "$svc" stop >/dev/null 2>&1 || true; done
exit 0
