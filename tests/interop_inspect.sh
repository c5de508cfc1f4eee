#!/bin/bash
# Interoperability: `otakit binary inspect` must report the same facts as
# Particle's own tools (particle-cli `binary inspect` and binary-version-reader)
# for every fixture module, golden file and bundle. The comparison lives in
# interop_inspect.py; this wrapper finds the fixtures and installs the reference.
#
# Skips (77) only when the shared folder is absent; if the reference tools cannot
# be installed, the test fails.
set -uo pipefail
cli=${OTK_CLI:?OTK_CLI must name the otakit binary}
here=$(cd "$(dirname "$0")" && pwd)
source "$(dirname "$0")/lib/oracle.sh"
exec python3 "$here/interop_inspect.py" --shared "$shared" --cli "$cli" --oracle "$O" "$@"
