# SPDX-License-Identifier: Apache-2.0
# Draws bench/run.sh's scaling table: median seconds against rows for tsync's full
# sync into a new replica, its re-sync with every row changed, its full pass with
# nothing changed, and the sqlite3 shell's json_each load of the same JSON.
#
#   gnuplot -e "data='scaling.dat'; out='scaling.png'" bench/scaling.gp
#
# data: one line per size: rows, then the medians in seconds of the sqlite3 shell,
# the full sync, the re-sync and the full pass; lines starting with # are skipped.
# out: the PNG to write. subtitle (optional): a second title line.
if (!exists("data")) data = "scaling.dat"
if (!exists("out")) out = "scaling.png"
if (!exists("subtitle")) subtitle = ""

stats data using 1 nooutput
scale = STATS_max >= 1000000 ? 1000000 : (STATS_max >= 1000 ? 1000 : 1)
unit = scale == 1000000 ? "millions" : (scale == 1000 ? "thousands" : "")

set terminal pngcairo size 960,640 font ",11" noenhanced
set output out
set title "tsync against the sqlite3 shell: median seconds by rows".(subtitle eq "" ? "" : "\n".subtitle)
set xlabel "rows (users".(unit eq "" ? "" : ", in ".unit).")"
set ylabel "seconds"
set xrange [0:*]
set yrange [0:*]
set grid
set key top left Left reverse box opaque
set offsets 0, graph 0.03, graph 0.05, 0
set style data linespoints

plot data using ($1 / scale):2 title "sqlite3 shell, json_each from a file" lw 2 pt 7 lc rgb "#777777", \
     data using ($1 / scale):3 title "tsync full sync, new replica" lw 2 pt 5 lc rgb "#1f77b4", \
     data using ($1 / scale):4 title "tsync re-sync, every row changed" lw 2 pt 9 lc rgb "#d62728", \
     data using ($1 / scale):5 title "tsync full pass, nothing changed" lw 2 pt 13 lc rgb "#2ca02c"
