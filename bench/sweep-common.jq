# Definitions bench/sweep-table.jq, bench/sweep-compare.jq and bench/sweep's chart data share
# (jq -L bench: include "sweep-common").
def med: sort | if length == 0 then null else .[(length - 1) / 2 | floor] end;
def size: if . >= 1048576 then "\(. / 1048576) MiB" elif . >= 1024 then "\(. / 1024) KiB" else "\(.) B" end;
# The rows of issue 11's table, marked ★ in the tables: "size connections in-flight".
def issue_rows: ["64 1 128", "64 100 16", "64 1000 1", "1024 4 4", "8192 4 4", "16384 4 4", "32768 4 4",
  "65536 4 4", "65536 2 4", "65536 1 4", "65536 4 1", "262144 4 4", "1048576 4 4"];
# A cell's ours / C in each round, from its runs (both servers, every round): the two servers ran
# one after the other in a round. A round whose C run failed has no ratio (a gap in the
# measurement); one where ours failed counts as 0 (ours failed).
def round_ratios:
  [group_by(.round)[]
   | (map(select(.server == "ours")) | first | .result.msgs_per_s // 0) as $o
   | (map(select(.server == "c")) | first | .result.msgs_per_s // 0) as $x
   | select($x > 0) | $o / $x];
# A cell's ours / C. Rounds spread over the sweep (the sweep line's "rounds": "spread") are
# independent of each other: the median of the rounds' ratios. Sweeps that ran a cell's rounds back
# to back: the median of ours over the median of C. Null if C has no figure.
def cell_ratio($spread):
  if $spread then
    round_ratios | med
  else
    (map(select(.server == "ours") | .result.msgs_per_s // 0) | med) as $o
    | (map(select(.server == "c") | .result.msgs_per_s // 0) | med) as $x
    | if $x > 0 then $o / $x else null end
  end;
