# Sourced by the interoperability tests.  Skips the test (exit 77) when the
# shared folder is absent; otherwise installs Particle's reference tools with
# ../shared/oracle/setup.sh and sets O to their folder, failing the test
# (exit 1) if they cannot be installed.  Sets $shared.
shared=${OTK_SHARED:-}
if [[ -z $shared || ! -d $shared ]]; then
	echo "skipped: shared folder with fixtures and oracle absent (OTK_SHARED='$shared')"
	exit 77
fi
# Tests run in parallel and setup.sh installs on first use: one installer at a time.
oracle_lock=${XDG_CACHE_HOME:-$HOME/.cache}/otakit-oracle.lock
mkdir -p "$(dirname "$oracle_lock")"
oracle_setup=("$shared/oracle/setup.sh")
command -v flock >/dev/null && oracle_setup=(flock "$oracle_lock" "${oracle_setup[@]}")
if ! O=$("${oracle_setup[@]}" | tail -n 1) || [[ ! -x $O/particle || ! -x $O/node ]]; then
	echo "FAIL: could not install the reference tools with $shared/oracle/setup.sh"
	exit 1
fi
