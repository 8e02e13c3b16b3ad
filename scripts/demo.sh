#!/usr/bin/env bash
# The main job on the embedded defaults: MCSC (119) registers works with PRS (052).
# PRS validates the CWR 2.1 file with its rule pack, writes a report (text and HTML) and the
# ACK file it sends back; the file is also translated to CWR 2.2 and 3.1, with a loss report.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/gateway ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null 2>&1
  .venv/bin/pip install -q -e . >out-install.log 2>&1 || { cat out-install.log; exit 2; }
  rm -f out-install.log
fi
gw=.venv/bin/gateway
in=fixtures/cwr/CW260001119_052.V21
mkdir -p out
echo "== PRS (052) validates $in from MCSC (119)"
# Exit 1 means "rejected in part": expected here, one work's shares do not add up.
$gw validate "$in" --society prs || [ $? -eq 1 ]
$gw validate "$in" --society prs --format html -o out/report.html || [ $? -eq 1 ]
$gw validate "$in" --society prs --format json -o out/report.json || [ $? -eq 1 ]
echo "== PRS acknowledges: out/CW260001052_119.V21"
$gw ack "$in" --society 052 -o out/CW260001052_119.V21 || [ $? -eq 1 ]
grep '^ACK' out/CW260001052_119.V21 | cut -c1-19,47-49,50-80,158-159
echo "== translations"
$gw translate "$in" --to cwr22 -o out/CW260001119_052.V22
$gw translate "$in" --to cwr31 -o out/CW260001119_052_V3-1-0.SUB --losses out/losses_31.json
echo "== the 2.2 translation validates as the original did"
{ $gw validate out/CW260001119_052.V22 --society prs --format json || [ $? -eq 1 ]; } | python3 -c \
  'import json,sys; r=json.load(sys.stdin); print(r["version"], r["status"], r["counts"])'
echo "Reports in out/: report.html, report.json, the ACK file, the translations and losses_31.json"
