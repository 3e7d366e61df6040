#!/usr/bin/env bash
# Runs the jpki-mobile conformance suite against a system under test (SUT)
# that is already running, writes the reports, and exits with the suite's
# own exit status (docs/vendor-ci.md), except that a run the suite ends with
# 0 but calls NOT CERTIFIED (waivers, a partial selection,
# --allow-unimplemented) exits 3 here, so that the job fails on "not
# certified" (set JPKI_ALLOW_NOT_CERTIFIED=1 to keep the suite's 0):
#   0  nothing failed and the SUT is certified
#   1  a check failed
#   2  bad arguments, an unreadable file, an adapter that cannot say hello,
#      or reports that could not be written
#   3  nothing failed, but not certified (unimplemented checks, or no check
#      of the SUT passed)
#
# It never starts the SUT: start your server first (or give a `shim:`
# command, which the suite starts itself for each check).
#
# Settings, from the environment (defaults in brackets):
#   JPKI_SUITE         the built jpki-conformance binary
#                      [the release build of the checkout this script is in:
#                       <checkout>/target/release/jpki-conformance]
#   JPKI_SUT           the --sut value: http://HOST:PORT (a server in test
#                      mode, on loopback) or 'shim:COMMAND' (an adapter)
#                      [http://127.0.0.1:8439]
#   JPKI_CAPABILITIES  your capability statement (JSON file)   [none]
#   JPKI_WAIVERS       your waiver file (`pattern: reason` lines) [none]
#   JPKI_REPORTS       the folder for the reports            [jpki-reports]
#   JPKI_SEED          the run seed, 64 hex digits (32 bytes) [the suite's
#                      fixed default: runs are reproducible without it]
#   JPKI_ALLOW_NOT_CERTIFIED  1: exit 0 on a run that failed nothing but is
#                      not certified (a trial with --only)          [unset]
# Any arguments are passed on to `jpki-conformance run` after these
# (e.g. --sign-with KEY.hex, --jobs 2).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JPKI_SUITE="${JPKI_SUITE:-$here/../../target/release/jpki-conformance}"
JPKI_SUT="${JPKI_SUT:-http://127.0.0.1:8439}"
JPKI_CAPABILITIES="${JPKI_CAPABILITIES:-}"
JPKI_WAIVERS="${JPKI_WAIVERS:-}"
JPKI_REPORTS="${JPKI_REPORTS:-jpki-reports}"
JPKI_SEED="${JPKI_SEED:-}"
JPKI_ALLOW_NOT_CERTIFIED="${JPKI_ALLOW_NOT_CERTIFIED:-}"

usage_error() { # MESSAGE: exit 2, as the suite does for bad arguments
  echo "run-suite.sh: $1" >&2
  exit 2
}

[[ -x "$JPKI_SUITE" ]] || usage_error "JPKI_SUITE=$JPKI_SUITE is not an executable (build it: cargo build --release --locked -p jpki-conformance)"
[[ -z "$JPKI_CAPABILITIES" || -r "$JPKI_CAPABILITIES" ]] || usage_error "JPKI_CAPABILITIES=$JPKI_CAPABILITIES cannot be read"
[[ -z "$JPKI_WAIVERS" || -r "$JPKI_WAIVERS" ]] || usage_error "JPKI_WAIVERS=$JPKI_WAIVERS cannot be read"
[[ -z "$JPKI_SEED" || "$JPKI_SEED" =~ ^[0-9a-fA-F]{64}$ ]] || usage_error "JPKI_SEED must be 64 hex digits"

args=(run --sut "$JPKI_SUT" --out "$JPKI_REPORTS")
[[ -n "$JPKI_CAPABILITIES" ]] && args+=(--capabilities "$JPKI_CAPABILITIES")
[[ -n "$JPKI_WAIVERS" ]] && args+=(--waivers "$JPKI_WAIVERS")
[[ -n "$JPKI_SEED" ]] && args+=(--seed "$JPKI_SEED")
args+=("$@")

# Reports of an earlier run must not pass for this one's if this one
# writes none (exit 2).
mkdir -p "$JPKI_REPORTS"
rm -rf "$JPKI_REPORTS"/{report.json,junit.xml,report.html,report.json.cose,suite.log,traces}

echo "+ $JPKI_SUITE ${args[*]}"
started=$SECONDS
set +e
"$JPKI_SUITE" "${args[@]}" 2>&1 | tee "$JPKI_REPORTS/suite.log"
status=${PIPESTATUS[0]}
set -e

case "$status" in
  0) meaning="nothing failed" ;;
  1) meaning="a check failed" ;;
  2) meaning="usage error: bad arguments, an unreadable file, no hello from the adapter, or reports not written" ;;
  3) meaning="not certified: nothing failed, but checks were unimplemented or none of the SUT passed" ;;
  *) meaning="unexpected exit status (killed?)" ;;
esac
headline="$(grep -E '^(NOT )?CERTIFIED' "$JPKI_REPORTS/suite.log" | tail -n 1 || true)"
if [[ "$status" == 0 && "$headline" != CERTIFIED* && "$JPKI_ALLOW_NOT_CERTIFIED" != 1 ]]; then
  status=3
  meaning="not certified: nothing failed, but the verdict is NOT CERTIFIED (waived checks, a partial run or allowed unimplemented ones)"
fi

echo
echo "run-suite.sh: exit $status ($meaning) after $((SECONDS - started)) s"
[[ -n "$headline" ]] && echo "run-suite.sh: verdict: $headline"
echo "run-suite.sh: reports in $JPKI_REPORTS/:"
for file in report.json junit.xml report.html report.json.cose suite.log traces; do
  [[ -e "$JPKI_REPORTS/$file" ]] && echo "  $JPKI_REPORTS/$file"
done

if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  {
    echo "### jpki-conformance: exit $status ($meaning)"
    echo
    echo "${headline:-no verdict (see suite.log)}"
  } >>"$GITHUB_STEP_SUMMARY"
fi

exit "$status"
