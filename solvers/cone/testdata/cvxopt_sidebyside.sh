#!/usr/bin/env bash
# Side-by-side timing of cone.Solve against cvxopt.solvers.conelp on the same SOCPs and SDPs
# (sidebyside_instances.json), alternating the two sides round by round (written for optlayers).
#
#   bash solvers/cone/testdata/cvxopt_sidebyside.sh            # from the repository root: 3 rounds
#   ROUNDS=5 ONLY='large|xl' bash solvers/cone/testdata/cvxopt_sidebyside.sh
#   REPARSE=1 OUT=/tmp/cvxopt_sidebyside.XXXX ROUNDS=3 bash …   # the table again from an earlier run's logs
#
# Each round runs sidebyside_cvxopt.py once (OMP_NUM_THREADS=1; the median of REPS in-process solves after
# a warm-up, per instance) and the Go benchmarks BenchmarkCvxoptSOCP / BenchmarkCvxoptSDP twice, with the
# default GOMAXPROCS and with GOMAXPROCS=1 (ns/op over BENCHTIME solves, from one test binary built
# once). Odd rounds go cvxopt -> Go -> Go GOMAXPROCS=1, even rounds the reverse, so that a drift of the
# machine's speed favours neither side. Both sides time the solve alone (no start-up, parsing or data
# conversion) at tolerance 1e-8 (cvxopt's abstol = reltol = feastol; Solve's Settings.Tol). The table
# gives the medians over the rounds, the ratios cvxopt / Go of the medians and the medians of the ratios
# round by round (the sides of one round run back to back, so that these follow the load least); a second
# table gives the same for the CPU time of the process per solve (cvxopt's time.process_time, Go's
# getrusage over all threads: the measure least disturbed by other load on a shared machine).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKG=$(cd "$HERE/.." && pwd)
PY=${PY:-/usr/bin/python3}
ROUNDS=${ROUNDS:-3}
REPS=${REPS:-5}
BENCHTIME=${BENCHTIME:-5x}
ONLY=${ONLY:-.}
OUT=${OUT:-$(mktemp -d /tmp/cvxopt_sidebyside.XXXXXX)}
mkdir -p "$OUT"; RAW=$OUT/raw.tsv; : >"$RAW"

"$PY" -c 'import cvxopt, numpy' || { echo "$PY lacks cvxopt/numpy (Debian python3-cvxopt)" >&2; exit 1; }
echo "cvxopt side-by-side: out=$OUT rounds=$ROUNDS reps=$REPS benchtime=$BENCHTIME only=$ONLY" >&2
echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "optlayers: $(git -C "$PKG" rev-parse --short HEAD 2>/dev/null), $(go version | cut -d' ' -f3); cvxopt $("$PY" -c 'import cvxopt; print(cvxopt.__version__)')" >&2
[ "${REPARSE:-0}" = 1 ] || (cd "$PKG" && go test -c -o "$OUT/cone.test" .) || { echo "build failed" >&2; exit 1; }

parse_cvxopt() {  # round
  sed -n 's/^cvxopt \([^ ]*\) s=\([0-9.]*\) .*/\1 \2/p' "$OUT/cvxopt.r$1.log" |
    while read -r name s; do printf 'cvxopt\t%s\t%s\t%s\n' "$1" "$name" "$s" >>"$RAW"; done
  sed -n 's/^cvxopt \([^ ]*\) s=[0-9.]* cpu=\([0-9.]*\) .*/\1 \2/p' "$OUT/cvxopt.r$1.log" |
    while read -r name s; do printf 'cvxoptcpu\t%s\t%s\t%s\n' "$1" "$name" "$s" >>"$RAW"; done
}

run_cvxopt() {  # round
  (cd "$HERE" && OMP_NUM_THREADS=1 "$PY" sidebyside_cvxopt.py sidebyside_instances.json "$REPS" "$ONLY") >"$OUT/cvxopt.r$1.log" 2>&1 ||
    { echo "cvxopt round $1 failed (see $OUT/cvxopt.r$1.log)" >&2; return; }
  parse_cvxopt "$1"
}

parse_go() {  # side(go|go1) round
  # BenchmarkCvxoptSOCP/large-2   5   123456789 ns/op   13.00 iters
  sed -n 's/^BenchmarkCvxopt\(SOCP\|SDP\)\/\([^ \t]*\)[ \t].*[ \t]\([0-9.]*\) ns\/op.*/\1 \2 \3/p' "$OUT/$1.r$2.log" |
    while read -r kind name ns; do
      name=${name%-[0-9]*}
      case $kind in SOCP) name=socp-$name ;; SDP) name=sdp-$name ;; esac
      printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$name" "$(awk -v n="$ns" 'BEGIN{printf "%.6f", n/1e9}')" >>"$RAW"
    done
  # … 123456789 ns/op   234567890 cpu-ns/op   13.00 iters (the process's CPU time per solve)
  sed -n 's/^BenchmarkCvxopt\(SOCP\|SDP\)\/\([^ \t]*\)[ \t].*[ \t]\([0-9.]*\) cpu-ns\/op.*/\1 \2 \3/p' "$OUT/$1.r$2.log" |
    while read -r kind name ns; do
      name=${name%-[0-9]*}
      case $kind in SOCP) name=socp-$name ;; SDP) name=sdp-$name ;; esac
      printf '%s\t%s\t%s\t%s\n' "$1cpu" "$2" "$name" "$(awk -v n="$ns" 'BEGIN{printf "%.6f", n/1e9}')" >>"$RAW"
    done
}

run_go() {  # side(go|go1) round
  local env=()
  [ "$1" = go1 ] && env=(GOMAXPROCS=1)
  local re="BenchmarkCvxopt(SOCP|SDP)\$/($ONLY)"
  (cd "$PKG" && env "${env[@]}" "$OUT/cone.test" -test.run '^$' -test.bench "$re" -test.benchtime "$BENCHTIME" \
      -test.count 1 -test.timeout 30m) >"$OUT/$1.r$2.log" 2>&1 || { echo "Go $1 round $2 failed (see $OUT/$1.r$2.log)" >&2; return; }
  parse_go "$1" "$2"
}

if [ "${REPARSE:-0}" = 1 ]; then  # recompute the table from the logs of an earlier run in $OUT
  : >"$RAW"
  for r in $(seq 1 "$ROUNDS"); do parse_cvxopt "$r"; parse_go go "$r"; parse_go go1 "$r"; done
  ROUNDS=0
fi
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r/$ROUNDS (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  if (( r % 2 == 1 )); then run_cvxopt "$r"; run_go go "$r"; run_go go1 "$r"
  else run_go go1 "$r"; run_go go "$r"; run_cvxopt "$r"; fi
done

echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
awk -F'\t' '
  { v[$3, $1] = v[$3, $1] " " $4; w[$3, $1, $2] = $4; if ($2 > maxr) maxr = $2; if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 } }
  function rratio(x, a, b,   r, s) {  # the median over the rounds of the round ratio a / b
    s = ""
    for (r = 1; r <= maxr; r++) if (((x, a, r) in w) && ((x, b, r) in w) && w[x, b, r] > 0) s = s " " w[x, a, r] / w[x, b, r]
    return median(s)
  }
  function median(s,   a, k, i, j, t) {
    k = split(s, a, " "); if (k == 0) return -1
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    printf "| instance | cvxopt conelp (s) | Solve (s) | Solve GOMAXPROCS=1 (s) | cvxopt / Solve | cvxopt / Solve (1) | round ratios, median | (1) |\n"
    printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
    for (i = 1; i <= n; i++) {
      x = order[i]; c = median(v[x, "cvxopt"]); g = median(v[x, "go"]); g1 = median(v[x, "go1"])
      q = rratio(x, "cvxopt", "go"); q1 = rratio(x, "cvxopt", "go1")
      printf "| %s | %.4f | %.4f | %.4f | %s | %s | %s | %s |\n", x, c, g, g1, (g > 0 && c > 0) ? sprintf("%.2f×", c / g) : "-", (g1 > 0 && c > 0) ? sprintf("%.2f×", c / g1) : "-", (q > 0) ? sprintf("%.2f×", q) : "-", (q1 > 0) ? sprintf("%.2f×", q1) : "-"
    }
    printf "\nCPU time of the process per solve (cvxopt: time.process_time; Go: getrusage, all threads):\n\n"
    printf "| instance | cvxopt conelp CPU (s) | Solve CPU (s) | Solve GOMAXPROCS=1 CPU (s) | cvxopt / Solve | cvxopt / Solve (1) |\n"
    printf "|---|---:|---:|---:|---:|---:|\n"
    for (i = 1; i <= n; i++) {
      x = order[i]; c = median(v[x, "cvxoptcpu"]); g = median(v[x, "gocpu"]); g1 = median(v[x, "go1cpu"])
      if (c < 0) continue
      printf "| %s | %.4f | %.4f | %.4f | %s | %s |\n", x, c, g, g1, (g > 0 && c > 0) ? sprintf("%.2f×", c / g) : "-", (g1 > 0 && c > 0) ? sprintf("%.2f×", c / g1) : "-"
    }
  }' "$RAW" | tee "$OUT/table.md"
