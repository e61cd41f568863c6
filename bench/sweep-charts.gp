# bench/sweep's charts: gnuplot -e "data='bench/charts/sweep.dat'; outdir='bench/charts'[; ours='ours (io_uring)']" bench/sweep-charts.gp
# data columns: size connections in-flight ours-frames/s C-frames/s ours/C
if (!exists("ours")) ours = "ours"
set terminal svg size 1100,420 dynamic font "sans,11" background rgb "white"
sizes = "64 1024 8192 16384 32768 65536 262144 1048576"
labels = "'64 B' '1 KiB' '8 KiB' '16 KiB' '32 KiB' '64 KiB' '256 KiB' '1 MiB'"
conns = "1 4 100 1000"
xi(s) = (s == 64 ? 0 : s == 1024 ? 1 : s == 8192 ? 2 : s == 16384 ? 3 : s == 32768 ? 4 : s == 65536 ? 5 : s == 262144 ? 6 : 7)
yi(c) = (c == 1 ? 0 : c == 2 ? 0.5 : c == 4 ? 1 : c == 100 ? 2 : 3)

set output outdir."/sweep-heatmap.svg"
set multiplot layout 1,3 title ours." / C epoll echo, frames/s (median of the runs; 1.0 = C's speed)"
set xrange [-0.5:7.5]
set yrange [-0.5:3.5]
set xtics ("64 B" 0, "1 KiB" 1, "8 KiB" 2, "16 KiB" 3, "32 KiB" 4, "64 KiB" 5, "256 KiB" 6, "1 MiB" 7) rotate by -60 offset 0,-0.3 font ",9"
set bmargin 5
set ytics ("1" 0, "4" 1, "100" 2, "1000" 3)
set ylabel "connections"
set cbrange [0:1.2]
set palette defined (0 "#b2182b", 0.6 "#f4a582", 0.9 "#f7f7f7", 1.0 "#d1e5f0", 1.2 "#2166ac")
unset key
do for [k in "1 4 16"] {
  set title k." in flight per connection"
  plot data using (xi($1)):($3 == k+0 && $2 != 2 ? yi($2) : 1/0):(0.48):(0.48):6 with boxxyerror fs solid 1.0 lc palette z notitle, \
       data using (xi($1)):($3 == k+0 && $2 != 2 ? yi($2) : 1/0):(sprintf("%.2f", $6)) with labels font ",9" notitle
}
unset multiplot

set output outdir."/sweep-throughput.svg"
set multiplot layout 1,2 title "throughput against frame size, connections:in flight (solid: ".ours.", dashed: C epoll echo)"
set xrange [40:1.7e6]
set yrange [*:*]
set logscale x 2
set logscale y 10
set xtics ("64 B" 64, "1 KiB" 1024, "8 KiB" 8192, "64 KiB" 65536, "1 MiB" 1048576) norotate offset 0,0 font ",10"
set bmargin 4
set ytics auto
set cbrange [*:*]
set key outside right font ",9"
set xlabel "frame size"
set ylabel "frames/s"
cfgs = "1:1 4:4 100:1 100:16"
set title "frames/s"
plot for [i=1:4] data using 1:((sprintf("%d:%d", $2, $3) eq word(cfgs, i)) ? $4 : 1/0) with linespoints lc i lw 2 pt 7 title "ours ".word(cfgs, i), \
     for [i=1:4] data using 1:((sprintf("%d:%d", $2, $3) eq word(cfgs, i)) ? $5 : 1/0) with linespoints lc i dt 2 pt 6 title "C ".word(cfgs, i)
set title "MB/s of payload each way"
set ylabel "MB/s"
plot for [i=1:4] data using 1:((sprintf("%d:%d", $2, $3) eq word(cfgs, i)) ? $4 * $1 / 1e6 : 1/0) with linespoints lc i lw 2 pt 7 title "ours ".word(cfgs, i), \
     for [i=1:4] data using 1:((sprintf("%d:%d", $2, $3) eq word(cfgs, i)) ? $5 * $1 / 1e6 : 1/0) with linespoints lc i dt 2 pt 6 title "C ".word(cfgs, i)
unset multiplot
