# Definitions bench/sweep-table.jq, bench/sweep-compare.jq and bench/sweep's chart data share
# (jq -L bench: include "sweep-common").
def med: sort | if length == 0 then null else .[(length - 1) / 2 | floor] end;
def size: if . >= 1048576 then "\(. / 1048576) MiB" elif . >= 1024 then "\(. / 1024) KiB" else "\(.) B" end;
# The rows of issue 11's table, marked ★ in the tables: "size connections in-flight".
def issue_rows: ["64 1 128", "64 100 16", "64 1000 1", "1024 4 4", "8192 4 4", "16384 4 4", "32768 4 4",
  "65536 4 4", "65536 2 4", "65536 1 4", "65536 4 1", "262144 4 4", "1048576 4 4"];
