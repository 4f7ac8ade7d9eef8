#!/usr/bin/env bash
# The spam-score test runs Debian's SpamAssassin on the code mail with its shipped rules and
# local tests only (no network checks).
set -euo pipefail
source "$(dirname "$0")/debian-package.sh"
debian_package SpamAssassin "${SPAMASSASSIN_PATH:-/usr/bin/spamassassin}" spamassassin "the spam-score test" "install Debian's 'spamassassin' package or set SPAMASSASSIN_PATH."
