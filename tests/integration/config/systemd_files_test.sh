#!/usr/bin/env bash
# The systemd files as systemd itself reads them: the units verify with no complaint at all (unknown keys
# are only warnings, so any output fails), sysusers creates the dijk user and group, and tmpfiles creates the
# runtime and state directories with their modes, all inside a throwaway root.
set -euo pipefail
src="$1/config/systemd"
for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for unit in dijkd dijk-control; do
  # The binaries are not installed on a build machine: stand in /bin/true so verify checks everything else.
  sed -e 's#/usr/bin/dijkd #/bin/true #; s#/usr/bin/dijk-control #/bin/true #; s#/usr/bin/dijkctl #/bin/true #' \
    "$src/$unit.service" >"$work/$unit.service"
  grep -q '^Type=notify$' "$work/$unit.service"
  grep -q '^ProtectSystem=strict$' "$work/$unit.service"
  grep -q '^WatchdogSec=' "$work/$unit.service"
  grep -q '^User=dijk$' "$work/$unit.service"
done
grep -q '^ExecStart=/usr/bin/dijk-control run --config /etc/dijk/dijk.toml$' "$src/dijk-control.service"
# dijk-check: the check API, in group dijk-api to hand its socket over.
sed -e 's#/usr/bin/dijk-check #/bin/true #; s#/usr/bin/dijkctl #/bin/true #' "$src/dijk-check.service" \
  >"$work/dijk-check.service"
grep -q '^Type=notify$' "$work/dijk-check.service"
grep -q '^ProtectSystem=strict$' "$work/dijk-check.service"
grep -q '^SupplementaryGroups=dijk-api$' "$work/dijk-check.service"
# One documented place for the hash sets: the default config's paths.set lies in the directory tmpfiles makes.
grep -q '^set = "/var/lib/dijk/sets/current.set"$' "$1/config/dijk.example.toml"
out=$(cd "$work" && systemd-analyze verify ./dijkd.service ./dijk-control.service ./dijk-check.service 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then
  echo "systemd-analyze verify complained:"
  echo "$out"
  exit 1
fi

mkdir -p "$work/root/etc"
systemd-sysusers --root="$work/root" "$src/dijk.sysusers.conf" >/dev/null
grep -q '^dijk:x:[0-9]*:[0-9]*:.*:/var/lib/dijk:/usr/sbin/nologin$' "$work/root/etc/passwd"
grep -q '^dijk:x:' "$work/root/etc/group"
grep -q '^dijk-api:x:[0-9]*:dijk$' "$work/root/etc/group"

systemd-tmpfiles --root="$work/root" --create "$src/dijk.tmpfiles.conf"
check_mode() {
  local got
  got=$(stat -c '%a' "$work/root/$1")
  [ "$got" = "$2" ] || { echo "$1 has mode $got, want $2"; exit 1; }
}
check_mode run/dijk 750
check_mode var/lib/dijk 750
check_mode var/lib/dijk/sets 750
check_mode var/lib/dijk/journal 750
check_mode var/lib/dijk/state 700
check_mode var/lib/dijk/journal-api 750
check_mode run/dijk-check 750
grep -q "^dijk-api:x:$(stat -c '%g' "$work/root/run/dijk-check"):" "$work/root/etc/group" ||
  { echo "run/dijk-check is not group dijk-api"; exit 1; }
check_mode etc/dijk 770
echo "systemd files OK"
