#!/usr/bin/env bash
# Open a report in headless Chromium, save a screenshot (1280 px wide, the first 4000 px of
# the page) and print what the browser's DOM holds: embedded images and section ids.
#
#   scripts/check_report.sh REPORT_DIR [SCREENSHOT.png]
#
# Needs Chromium (Debian: apt-get install chromium). Look at the screenshot yourself.
set -euo pipefail
report="${1:?usage: scripts/check_report.sh REPORT_DIR [SCREENSHOT.png]}"
shot="${2:-$report/../report-screenshot.png}"
html="$(cd "$report" && pwd)/report.html"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$browser" ] || { echo "check_report: no chromium found (apt-get install chromium)" >&2; exit 3; }
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files --run-all-compositor-stages-before-draw --virtual-time-budget=5000)
"$browser" "${flags[@]}" --window-size=1280,4000 --screenshot="$shot" "file://$html" >/dev/null 2>&1
# The DOM as the browser parsed it from disk (no server involved).
dom="$("$browser" "${flags[@]}" --dump-dom "file://$html" 2>/dev/null)"
images=$(grep -o '<img src="data:image/png;base64,' <<<"$dom" | wc -l)
sections=$(grep -o '<section id="[a-z_]*"' <<<"$dom" | sed 's/.*id="\(.*\)"/\1/' | tr '\n' ' ')
echo "screenshot: $shot"
echo "embedded images: $images"
echo "sections: $sections"
