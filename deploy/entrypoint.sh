#!/bin/sh
# Container start: on a fresh /data, put the demo plan there (so the first look shows something),
# then run the command (canvass serve). The first admin comes from CANVASS_ADMIN_PASSWORD
# (and CANVASS_ADMIN_USERNAME), made by canvass serve while no account exists.
set -eu
WORKSPACE="${CANVASS_WORKSPACE:-/data}"
if [ "${CANVASS_DEMO:-1}" = "1" ] && [ -z "$(ls -A "$WORKSPACE" 2>/dev/null | grep -v '^\.')" ]; then
    echo "Empty workspace $WORKSPACE: building the demo plan (CANVASS_DEMO=0 skips this)."
    canvass --quiet demo --no-serve --out "$WORKSPACE/demo"
fi
exec "$@"
