#!/bin/bash
# usage: sigint.sh BIN DISPLAYNUM N: starts the desk (no shop) N times, SIGINT after 4 s at rest, counts exits within 15 s
BIN=$1; DN=$2; N=$3
Xvfb :$DN -screen 0 1280x1024x24 +extension GLX -nolisten tcp >/dev/null 2>&1 & XPID=$!
sleep 1; ok=0; hung=0
for i in $(seq 1 $N); do
  R=/tmp/deskres/sig-$DN-$i; rm -rf $R; mkdir -p $R/cfg
  DISPLAY=:$DN SKRANKE_CONFIG_DIR=$R/cfg LANG=en_US.UTF-8 $BIN -shop http://127.0.0.1:20199 -data $R/d -printer file://$R/p.bin -profile generic-80 -lang en > $R/log 2>&1 &
  P=$!
  for j in $(seq 1 60); do grep -q "window shown" $R/log && break; sleep 0.5; done
  sleep 4; kill -INT $P
  for j in $(seq 1 30); do kill -0 $P 2>/dev/null || break; sleep 0.5; done
  if kill -0 $P 2>/dev/null; then hung=$((hung+1)); kill -QUIT $P; sleep 1; kill -9 $P 2>/dev/null; cp $R/log /tmp/deskres/out/hung-$(basename $BIN)-$i.log; else ok=$((ok+1)); fi
  wait $P 2>/dev/null; rm -rf $R
done
kill $XPID; wait $XPID 2>/dev/null
echo "$(basename $BIN): exited $ok, hung $hung of $N"
