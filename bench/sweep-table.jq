# bench/sweep's markdown table from its raw runs (jq -rs -L bench -f bench/sweep-table.jq last.jsonl).
include "sweep-common";
def r2: if . == null then "–" else (. * 100 | round) / 100 | tostring end;
def r1: if . == null then "–" else (. * 10 | round) / 10 | tostring end;
def k: if . == null then "–" elif . >= 100000 then "\(. / 1000 | round) k" elif . >= 1000 then "\((. / 100 | round) / 10) k" else "\(round)" end;
(.[] | select(.type == "sweep")) as $m
| (map(select(.type == "end")) | first // {}) as $fin
| [.[] | select(.type == "run")] as $runs
| (($m.server // "uds") == "handle") as $handle
| (($m.server // "uds") == "c") as $twin
| ($m.rounds == "spread") as $spread
| (if $handle then "handle/" elif $twin then "c/" elif ($m.transport // "default") == "default" then "" else "\($m.transport)/" end) as $dir
| "### Sweep: \(if $handle then "the channel-free baseline (`HandleEchoServer`, in ours' columns)" elif $twin then "a second C echo process (in ours' columns: the method's own noise)" elif $dir == "" then "ours" else "ours (\($m.transport))" end) / C epoll echo, C load generator\n",
  "\($m.date), commit \($m.commit), \($m.nproc) CPUs, load average \($m.loadStart) at start and \($fin.loadEnd // "?") at end; median of \($m.repeat) runs of \($m.duration) s (after \($m.warmup) s) per server and cell, the two servers interleaved\(if $spread then ", each round a pass over every cell (a cell's rounds are minutes apart; ours / C is the median of the rounds' ratios)" else ", a cell's rounds one after the other (ours / C is the median of ours over the median of C)" end), both warmed up before the first cell of each frame size (\($m.warmSmall // "?") s up to 64 KiB, \($m.warmLarge // "?") s above, 4 x 4\(if $m.warmAgain then "; \($m.warmAgain) s in later rounds" else "" end)); \($fin.seconds // "?") s in all. Both servers reply \"echo:\" + payload\(if ($m.transport // "default") != "default" then "; ours runs with `--transport \($m.transport)`" else "" end). Frames/s are replies verified byte for byte by `bench/baseline/loadgen`; CPU/frame is the server's CPU (all threads, from /proc/PID/stat) per reply, median; ratio range = lowest and highest of the per-round ratios. ★ = a row of issue 11's table. Loader: `bench/baseline/loadgen`, \($m.loaderThreads // 1) thread(s) for several connections, 1 for one; ⚠ = in some run of the cell (ours or C) the loader used over 90% of a thread (`loader_saturated`), so that ratio may be the loader's or the machine's limit as much as the server's: compare the CPU per frame there. Charts: [ours / C heat map](bench/charts/\($dir)sweep-heatmap.svg), [throughput against frame size](bench/charts/\($dir)sweep-throughput.svg).\n",
  "| frame | conn. × in flight | ours frames/s | C frames/s | ours / C | range | ours µs CPU/frame | C µs CPU/frame | loader CPU (ours run; ⚠ saturated) | errors |",
  "|---|---|---:|---:|---:|---|---:|---:|---:|---:|",
  ($runs | group_by([.size, .connections, .pipeline])[]
   | .[0] as $c
   | cell_ratio($spread) as $ratio
   | (map(select(.server == "ours"))) as $o
   | (map(select(.server == "c"))) as $x
   | ($o | map(.result.msgs_per_s // 0) | med) as $om
   | ($x | map(.result.msgs_per_s // 0) | med) as $xm
   | round_ratios as $ratios
   | "| \($c.size | size)\(if (issue_rows | index("\($c.size) \($c.connections) \($c.pipeline)")) then " ★" else "" end) | \($c.connections) × \($c.pipeline) | \($om | k) | \($xm | k) | **\($ratio | r2)** | \($ratios | min | r2)–\($ratios | max | r2) | \($o | map(.result.server_us_per_msg // empty) | med | r1) | \($x | map(.result.server_us_per_msg // empty) | med | r1) | \($o | map(.result.loader_cpu // empty) | med | r2)\(if [$o[], $x[]] | any(.result.loader_saturated == true) then " ⚠" else "" end) | \([$o[], $x[]] | map(.result.errors // 0) | add) |")
