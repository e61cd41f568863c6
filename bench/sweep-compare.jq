# Several bench/sweep runs side by side, per cell: ours / C of each run and the lowest.
#   jq -rs -L bench -f bench/sweep-compare.jq bench/sweep-last.jsonl bench/history/sweep-*.jsonl
# Each run's ratio is sweep-table.jq's (cell_ratio in sweep-common.jq), shown cut (not rounded)
# to two decimals so that a cell shown as 0.79 is one counted below 0.8.
include "sweep-common";
def cut2: if . == null then "–" else (. * 100 | floor) as $c | "\($c / 100 | floor).\($c % 100 | tostring | if length < 2 then "0" + . else . end)" end;
def band: if . == null then "–" elif . >= 0.9 then "≥ 0.9" elif . >= 0.8 then "0.8–0.9" else "< 0.8" end;
def bands: [map(band) as $b | ("≥ 0.9", "0.8–0.9", "< 0.8") as $n | "\($b | map(select(. == $n)) | length) \($n)"] | join(", ");
def key: "\(.size) \(.connections) \(.pipeline)";
reduce .[] as $l ([]; if $l.type == "sweep" then . + [{m: $l, runs: []}]
                     elif $l.type == "run" then .[-1].runs += [$l] else . end)
| map((.m.rounds == "spread") as $spread
    | .ratios = (.runs | group_by(key) | map({key: (.[0] | key), value: cell_ratio($spread)}) | from_entries)) as $sweeps
| ($sweeps[0].runs | map(key) | reduce .[] as $k ([]; if index([$k]) then . else . + [$k] end)) as $cells
| [$cells[] as $k | {k: $k, r: [$sweeps[] | .ratios[$k]]} | .low = (.r | map(select(. != null)) | min)] as $rows
| "Runs: \($sweeps | map("\(.m.date) (commit \(.m.commit)\(if (.m.transport // "default") != "default" then ", \(.m.transport)" else "" end))") | join("; ")).\n",
  "| frame | conn. × in flight | \($sweeps | map(.m.date | sub("^[0-9-]+ "; "")) | join(" | ")) | lowest |",
  "|---|---|\($sweeps | map("---:") | join("|"))|---:|",
  ($rows[] | (.k | split(" ") | map(tonumber)) as [$s, $c, $p]
   | "| \($s | size)\(if (issue_rows | index("\($s) \($c) \($p)")) then " ★" else "" end) | \($c) × \($p) | \(.r | map(cut2) | join(" | ")) | **\(.low | cut2)** |"),
  "",
  ($sweeps[] | "\(.m.date): \([.ratios[]] | bands).") ,
  "Lowest of the runs: \([$rows[].low] | bands).",
  "Below 0.8 in every run: \([$rows[] | select(.r | all(. != null and . < 0.8)) | (.k | split(" ") | map(tonumber)) as [$s, $c, $p] | "\($s | size) × \($c) × \($p)"] | if length == 0 then "none" else join(", ") end)."
