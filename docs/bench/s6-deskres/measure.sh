#!/bin/bash
# usage: measure.sh BIN TAG DISPLAYNUM  (shopd must listen on 127.0.0.1:20101)
# Copies the 1M cache, starts the desk under its own Xvfb, logs in,
# samples RSS every 5 s, and CPU ticks (utime+stime) over 60 s windows.
BIN=$1; TAG=$2; DN=$3
cat $BIN > /dev/null # the whole binary in the page cache, for both
R=/tmp/deskres/runs/$TAG; rm -rf $R; mkdir -p $R/cfg
cp /tmp/deskres/c1/desk.db /tmp/deskres/c1/desk.db-wal $R/
Xvfb :$DN -screen 0 1280x1024x24 +extension GLX -nolisten tcp >/dev/null 2>&1 &
XPID=$!
sleep 1
export DISPLAY=:$DN
SKRANKE_PPROF=${PPROF:-} SKRANKE_CONFIG_DIR=$R/cfg LANG=en_US.UTF-8 SKRANKE_TOKEN=demo-desk-token $BIN -shop http://127.0.0.1:20101 -data $R -printer file://$R/p.bin -profile generic-80 -lang en > $R/desk.log 2>&1 &
DPID=$!
echo "$TAG desk pid $DPID xvfb $XPID start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
ticks() { awk '{print $14+$15}' /proc/$DPID/stat; }
rss() { awk '/VmRSS/{print $2/1024}' /proc/$DPID/status; }
hwm() { awk '/VmHWM/{print $2/1024}' /proc/$DPID/status; }
for i in $(seq 1 120); do grep -q "staff" $R/desk.log && xdotool search --onlyvisible --name Skranke >/dev/null 2>&1 && break; sleep 1; done
sleep 3
W=$(xdotool search --onlyvisible --name Skranke | head -1); xdotool windowfocus --sync $W
xdotool type --delay 150 999999; xdotool key Return
for i in $(seq 1 60); do grep -q "screen=scan" $R/desk.log && break; sleep 1; done
echo "$TAG logged in at $(date -u +%T): $(grep -c 'screen=scan' $R/desk.log)"
for w in $(seq 1 ${WINDOWS:-3}); do
  c0=$(ticks); t0=$(date +%s.%N)
  for s in $(seq 1 12); do sleep 5; echo "$TAG t=$(date -u +%T) rss=$(rss) hwm=$(hwm)" >> $R/rss.txt; done
  c1=$(ticks); t1=$(date +%s.%N)
  echo "$TAG window $w: cpu $(echo "($c1-$c0)/($t1-$t0)" | bc -l | cut -c1-6) % rss $(rss) MB hwm $(hwm) MB load $(cut -d' ' -f1-3 /proc/loadavg) main-thread-vol-cs $(awk '/^voluntary/{print $2}' /proc/$DPID/task/$DPID/status)"
done
[ -n "$RESTSCANS" ] && echo "$TAG $(python3 /tmp/deskres/restscans.py $R/desk.log :$DN $RESTSCANS) load $(cut -d' ' -f1-3 /proc/loadavg)"
kill -INT $DPID; wait $DPID; kill $XPID; wait $XPID 2>/dev/null
grep -i "merge\|index" $R/desk.log | head -5
rm -f $R/desk.db $R/desk.db-wal $R/desk.db-shm
