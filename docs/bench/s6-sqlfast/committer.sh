#!/bin/bash
# committer.sh BIN PROF N: CPU on the group committer per delivery, µs (pprof samples).
bin=$1; prof=$2; n=$3
go tool pprof -top -cum -focus='shop.\(\*SQLite\).runGroup$' -nodecount=400 -unit=ms $bin $prof 2>/dev/null | awk -v n=$n '
  /SQLite\).runGroup$/ {rg=$4}
  /shop.runUpdate$/ {ru=$4}
  /linux.Syscall6$/ {sc=$4}
  /json.Unmarshal$/ {ju=$4}
  /json.Marshal$/ {jm=$4}
  END { gsub("ms","",rg); gsub("ms","",ru); gsub("ms","",sc); gsub("ms","",ju); gsub("ms","",jm);
        printf "committer %.0f us/op, of it updates %.0f, syscalls %.0f, json %.0f\n", rg*1000/n, ru*1000/n, sc*1000/n, (ju+jm)*1000/n }'
