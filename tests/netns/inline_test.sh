#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# inline_test.sh DROPPER [FIREWALL] — end-to-end test of the inline path.
#
#   hA (a0 10.200.0.1) <-veth-> a1 [mb: DROPPER --inline on net_af_packet a1, b1] b1 <-veth-> b0 (10.200.0.2) hB
#
# Checks, through the middlebox:
#   1. an HTTP download (python3 -m http.server in hB, curl or Python in hA)
#      arrives with the same SHA-256 as the file served;
#   2. a connection to TCP port 9 (dropped by the program) fails while one to
#      another port works;
#   3. a connection to TCP port 7 (reset by the program at the client's first
#      data) is reset: the injected RST reaches the client;
#   4. the run's --stats show forwarded frames, dropped frames, two injected
#      frames sent and none unrouted;
#   5. a transfer bounded in time (a Python socket sender, 3 s) arrives with
#      the SHA-256 of what was sent, and iperf3 -t 3 runs through (when
#      iperf3 is installed; its rate is printed);
# the same with 2 worker cores (--workers 2: af_packet ports cannot hash,
# so frames reach their owner through the workers' rings).
# Then the same program runs passively (no --inline) on a mirror: a Linux
# bridge in mb forwards, the program reads a1 through af_packet, and must
# report the connections it saw (HTTP and port 9, which it no longer
# blocks), with nothing transmitted; tcpdump captures a1 meanwhile and the
# program run offline on that capture must report the same connections
# (client and server address:port). Last, FIREWALL
# (examples/simple_firewall) runs inline with a rule dropping TCP port 6000:
# that connection is blocked, others and the download pass.
# Exit 0 pass, 1 fail, 77 skipped (not root, no `ip netns`, no ethtool, no
# af_packet). Everything is torn down at the end, even on failure.
set -u
DROPPER=$1
FIREWALL=${2:-}
PY=/usr/bin/python3
SKIP=77
TIME_LIMIT=20           # seconds for each client operation
XFER_SECS=3             # length of the bounded transfers

skip() { echo "SKIP: $*"; exit $SKIP; }
[ "$(id -u)" = 0 ] || skip "needs root"
command -v ip >/dev/null || skip "no ip (iproute2)"
command -v ethtool >/dev/null || skip "no ethtool"
[ -x "$PY" ] || skip "no $PY"
[ -x "$DROPPER" ] || { echo "FAIL: no program $DROPPER"; exit 1; }

sfx=$$
HA=mosA$sfx HB=mosB$sfx MB=mosM$sfx
tmp=$(mktemp -d /tmp/mos-netns.XXXXXX)
pids=()
failed=0

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for n in $HA $HB $MB; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; failed=1; }

ip netns add $HA 2>/dev/null || skip "cannot create network namespaces"
ip netns add $HB && ip netns add $MB || { echo "FAIL: ip netns add"; exit 1; }
ip link add a0 netns $HA type veth peer name a1 netns $MB &&
ip link add b0 netns $HB type veth peer name b1 netns $MB &&
ip -n $HA addr add 10.200.0.1/24 dev a0 &&
ip -n $HB addr add 10.200.0.2/24 dev b0 || { echo "FAIL: veth set-up"; exit 1; }
for n in $HA $HB $MB; do
	ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1
	ip -n $n link set lo up
done
ip -n $HA link set a0 up && ip -n $HB link set b0 up &&
ip -n $MB link set a1 up && ip -n $MB link set b1 up || { echo "FAIL: link up"; exit 1; }
# Required for TCP through af_packet: the senders must finish their checksums.
ip netns exec $HA ethtool -K a0 tx off >/dev/null && ip netns exec $HB ethtool -K b0 tx off >/dev/null ||
	{ echo "FAIL: ethtool -K tx off"; exit 1; }

EAL="--vdev=net_af_packet0,iface=a1,framecnt=4096 --vdev=net_af_packet1,iface=b1,framecnt=4096 --lcores=0@(0-1)"

# Servers in hB: HTTP on 8080, a TCP sink on 9 and on 7 (they read and
# answer "pong" to whatever arrives).
head -c 8000000 /dev/urandom >"$tmp/blob"
want=$(sha256sum <"$tmp/blob" | cut -d' ' -f1)
ip netns exec $HB $PY -m http.server 8080 --bind 10.200.0.2 --directory "$tmp" \
	>"$tmp/http.log" 2>&1 &
pids+=($!)
cat >"$tmp/sink.py" <<'EOF'
import socket, sys, threading
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.200.0.2", port)); s.listen(8)
    while True:
        c, _ = s.accept()
        def talk(c):
            try:
                while c.recv(4096):
                    c.sendall(b"pong")
            except OSError:
                pass
            c.close()
        threading.Thread(target=talk, args=(c,), daemon=True).start()
for p in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(p),), daemon=True).start()
threading.Event().wait()
EOF
ip netns exec $HB $PY "$tmp/sink.py" 9 7 5555 6000 >"$tmp/sink.log" 2>&1 &
pids+=($!)

# xfer.py recv PORT OUT: accept one connection, write "<bytes> <sha256>" to
# OUT at its end. xfer.py send HOST PORT SECS: send pseudo-random data for
# SECS seconds, print "<bytes> <sha256>".
cat >"$tmp/xfer.py" <<'EOF'
import hashlib, random, socket, sys, time
if sys.argv[1] == "recv":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.200.0.2", int(sys.argv[2]))); s.listen(1); s.settimeout(60)
    c, _ = s.accept(); c.settimeout(30)
    h, n = hashlib.sha256(), 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d); n += len(d)
    open(sys.argv[3], "w").write(f"{n} {h.hexdigest()}\n")
    c.close()
else:
    s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10)
    rnd = random.Random(7)
    blocks = [rnd.randbytes(65536) for _ in range(16)]
    h, n, i, end = hashlib.sha256(), 0, 0, time.time() + float(sys.argv[4])
    while time.time() < end:
        b = blocks[i % 16][: 1000 + (i * 7919) % 64536]
        s.sendall(b); h.update(b); n += len(b); i += 1
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
    print(f"{n} {h.hexdigest()}")
EOF

# transfer NAME PORT: the bounded transfer through the box, checked.
transfer() {
	rm -f "$tmp/xfer.$2"
	ip netns exec $HB timeout 60 $PY "$tmp/xfer.py" recv "$2" "$tmp/xfer.$2" &
	local rpid=$!
	sleep 0.3
	local sent got
	sent=$(ip netns exec $HA timeout $((XFER_SECS + 30)) $PY "$tmp/xfer.py" send 10.200.0.2 "$2" $XFER_SECS)
	wait $rpid
	got=$(cat "$tmp/xfer.$2" 2>/dev/null)
	if [ -n "$sent" ] && [ "$sent" = "$got" ] && [ "${sent%% *}" -gt 1000000 ]; then
		ok "$1: ${XFER_SECS} s transfer intact (${sent%% *} bytes, $((${sent%% *} * 8 / XFER_SECS / 1000000)) Mbit/s)"
	else
		fail "$1: transfer sent '$sent', received '$got'"
	fi
}

# iperf NAME: iperf3 -t XFER_SECS through the box (skipped without iperf3).
iperf() {
	command -v iperf3 >/dev/null || { echo "# $1: no iperf3, skipped"; return; }
	ip netns exec $HB timeout 60 iperf3 -s -1 -B 10.200.0.2 -p 5201 >/dev/null 2>&1 &
	local spid=$!
	sleep 0.5
	ip netns exec $HA timeout $((XFER_SECS + 20)) iperf3 -c 10.200.0.2 -p 5201 -t $XFER_SECS -J \
		>"$tmp/iperf.json" 2>&1
	local rc=$?
	wait $spid
	local bps
	bps=$($PY -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' \
		"$tmp/iperf.json" 2>/dev/null)
	if [ $rc = 0 ] && [ -n "$bps" ] && [ "$bps" -gt 1000000 ]; then
		ok "$1: iperf3 -t $XFER_SECS: $((bps / 1000000)) Mbit/s"
	else
		fail "$1: iperf3 rc=$rc $(head -c 300 "$tmp/iperf.json")"
	fi
}

# client.py HOST PORT: connect, send "ping", read; prints connected/reply/reset/timeout/refused.
cat >"$tmp/client.py" <<'EOF'
import socket, sys
s = socket.socket(); s.settimeout(float(sys.argv[3]) if len(sys.argv) > 3 else 3)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except socket.timeout:
    print("connect-timeout"); sys.exit(0)
except ConnectionRefusedError:
    print("refused"); sys.exit(0)
try:
    s.sendall(b"ping")
    d = s.recv(100)
    print("reply" if d == b"pong" else "closed")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("recv-timeout")
EOF

# wait_up: set up=1 once hA gets a reply from hB through the box (at most
# about 10 s), up=0 if not or if the box ($mbpid) exits first.
wait_up() {
	up=0
	for _ in $(seq 1 50); do
		if [ "$(ip netns exec $HA timeout 2 $PY "$tmp/client.py" 10.200.0.2 5555 1)" = reply ]; then
			up=1; return
		fi
		kill -0 $mbpid 2>/dev/null || return
		sleep 0.2
	done
}

# --- inline ------------------------------------------------------------------
ip netns exec $MB timeout -s INT 120 "$DROPPER" -q --dpdk "$EAL" --inline \
	--stats "$tmp/inline.json" --out "$tmp/inline.flows" >"$tmp/inline.log" 2>&1 &
mbpid=$!
pids+=($mbpid)

# Wait (at most 10 s) until hA reaches hB through the box.
wait_up
if [ $up = 0 ]; then
	echo "FAIL: no connectivity through the inline box"; cat "$tmp/inline.log"; exit 1
fi
ok "hA reaches hB through the inline box"

# 1. HTTP download with a checksum.
if command -v curl >/dev/null; then
	ip netns exec $HA timeout $TIME_LIMIT curl -s --max-time $TIME_LIMIT -o "$tmp/got" \
		http://10.200.0.2:8080/blob
else
	ip netns exec $HA timeout $TIME_LIMIT $PY -c '
import sys, urllib.request
open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1], timeout=20).read())' \
		http://10.200.0.2:8080/blob "$tmp/got"
fi
got=$(sha256sum <"$tmp/got" 2>/dev/null | cut -d' ' -f1)
if [ "$got" = "$want" ]; then ok "8 MB HTTP download intact"; else fail "HTTP download: sha256 $got, want $want"; fi

# 2. Port 9 is dropped; port 5555 works.
r9=$(ip netns exec $HA timeout 10 $PY "$tmp/client.py" 10.200.0.2 9 3)
r5=$(ip netns exec $HA timeout 10 $PY "$tmp/client.py" 10.200.0.2 5555 3)
if [ "$r9" = connect-timeout ]; then ok "connection to port 9 blocked"; else fail "port 9: $r9 (want connect-timeout)"; fi
if [ "$r5" = reply ]; then ok "connection to port 5555 works"; else fail "port 5555: $r5 (want reply)"; fi

# 3. Port 7 is reset by the injected RST at the first data.
r7=$(ip netns exec $HA timeout 10 $PY "$tmp/client.py" 10.200.0.2 7 5)
if [ "$r7" = reset ]; then ok "connection to port 7 reset by the injected RST"; else fail "port 7: $r7 (want reset)"; fi

# 5. Bounded transfers.
transfer "inline" 5001
iperf "inline"

kill -INT $mbpid 2>/dev/null
wait $mbpid
rc=$?
[ $rc = 0 ] || fail "inline run exit status $rc: $(cat "$tmp/inline.log")"

# 4. Statistics.
field() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null; }
st="$tmp/inline.json"
fwd=$(field "$st" forwarded); drp=$(field "$st" dropped)
inj=$(field "$st" injected_sent); unr=$(field "$st" injected_unrouted)
txp=$(field "$st" tx_packets); txd=$(field "$st" tx_dropped)
echo "stats: forwarded=$fwd dropped=$drp tx_packets=$txp tx_dropped=$txd injected_sent=$inj injected_unrouted=$unr"
[ -n "$fwd" ] && [ "$fwd" -gt 5000 ] && ok "forwarded $fwd frames" || fail "forwarded=$fwd"
[ -n "$drp" ] && [ "$drp" -ge 2 ] && ok "dropped $drp frames" || fail "dropped=$drp"
[ "$inj" = 2 ] && [ "$unr" = 0 ] && ok "2 RSTs injected, none unrouted" || fail "injected_sent=$inj injected_unrouted=$unr"
[ -n "$txp" ] && [ "$txp" -ge $((fwd + inj - txd)) ] && ok "every queued frame accounted for" ||
	fail "tx_packets=$txp, forwarded+injected-tx_dropped=$((fwd + inj - txd))"
grep -q "10.200.0.1:[0-9]* -> 10.200.0.2:8080 " "$tmp/inline.flows" &&
	ok "inline box saw the HTTP connection" || fail "no HTTP flow in $(cat "$tmp/inline.flows")"

# --- inline, 2 worker cores ----------------------------------------------------
ip netns exec $MB timeout -s INT 120 "$DROPPER" -q --workers 2 \
	--dpdk "${EAL% --lcores*} --lcores=(0-2)@(0-1)" --inline \
	--stats "$tmp/workers.json" --out "$tmp/workers.flows" >"$tmp/workers.log" 2>&1 &
mbpid=$!
pids+=($mbpid)
wait_up
if [ $up = 1 ]; then
	ok "2 workers: hA reaches hB through the inline box"
	ip netns exec $HA timeout $TIME_LIMIT curl -s --max-time $TIME_LIMIT -o "$tmp/got3" \
		http://10.200.0.2:8080/blob
	got=$(sha256sum <"$tmp/got3" 2>/dev/null | cut -d' ' -f1)
	[ "$got" = "$want" ] && ok "2 workers: 8 MB HTTP download intact" || fail "2 workers: download sha256 $got"
	transfer "2 workers" 5002
	r9=$(ip netns exec $HA timeout 10 $PY "$tmp/client.py" 10.200.0.2 9 3)
	[ "$r9" = connect-timeout ] && ok "2 workers: port 9 blocked" || fail "2 workers: port 9: $r9"
	r7=$(ip netns exec $HA timeout 10 $PY "$tmp/client.py" 10.200.0.2 7 5)
	[ "$r7" = reset ] && ok "2 workers: port 7 reset" || fail "2 workers: port 7: $r7 (want reset)"
else
	fail "2 workers: no connectivity through the inline box: $(cat "$tmp/workers.log")"
fi
kill -INT $mbpid 2>/dev/null
wait $mbpid
rc=$?
[ $rc = 0 ] || fail "2 workers: exit status $rc: $(cat "$tmp/workers.log")"
st="$tmp/workers.json"
fwd=$(field "$st" forwarded); txp=$(field "$st" tx_packets); txd=$(field "$st" tx_dropped)
inj=$(field "$st" injected_sent); pk=$(field "$st" packets); drp=$(field "$st" dropped)
echo "2 workers stats: packets=$pk forwarded=$fwd dropped=$drp tx_packets=$txp tx_dropped=$txd injected_sent=$inj"
[ -n "$fwd" ] && [ "$fwd" -gt 5000 ] && [ "$pk" = $((fwd + drp)) ] && [ "$((txp + txd))" = $((fwd + inj)) ] &&
	ok "2 workers: every frame forwarded or dropped, every queued frame accounted for" ||
	fail "2 workers: counters do not add up"
grep -q "10.200.0.1:[0-9]* -> 10.200.0.2:8080 " "$tmp/workers.flows" &&
	ok "2 workers: the HTTP connection's end recorded" || fail "2 workers: no HTTP flow"

# --- passive, on a mirror ------------------------------------------------------
# A Linux bridge joins a1 and b1 in mb; the program reads a1 through af_packet
# (frames from hA arrive on it, frames to hA leave by it: both directions)
# without --inline: it must see the connections and never send or drop.
ip -n $MB link add br0 type bridge &&
ip -n $MB link set a1 master br0 && ip -n $MB link set b1 master br0 &&
ip -n $MB link set br0 up || { echo "FAIL: bridge set-up"; exit 1; }
ip netns exec $MB timeout -s INT 60 "$DROPPER" -q --dpdk "--vdev=net_af_packet0,iface=a1,framecnt=4096 --lcores=0@(0-1)" \
	--stats "$tmp/passive.json" --out "$tmp/passive.flows" >"$tmp/passive.log" 2>&1 &
mbpid=$!
pids+=($mbpid)
capid=
if command -v tcpdump >/dev/null; then
	ip netns exec $MB timeout -s INT 60 tcpdump -i a1 -n -s 0 -B 16384 -w "$tmp/mirror.pcap" \
		>"$tmp/tcpdump.log" 2>&1 &
	capid=$!
	pids+=($capid)
	for _ in $(seq 1 50); do
		grep -q "listening on" "$tmp/tcpdump.log" && break
		sleep 0.2
	done
fi
# Ready when its packet socket exists (at most 10 s), plus a margin for the port start.
for _ in $(seq 1 50); do
	ip netns exec $MB ss -0 -p 2>/dev/null | grep -q "pid=$mbpid," && break
	kill -0 $mbpid 2>/dev/null || break
	sleep 0.2
done
sleep 1
ip netns exec $HA timeout $TIME_LIMIT $PY -c '
import sys, urllib.request
open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1], timeout=20).read())' \
	http://10.200.0.2:8080/blob "$tmp/got2"
got=$(sha256sum <"$tmp/got2" 2>/dev/null | cut -d' ' -f1)
[ "$got" = "$want" ] && ok "download through the bridge intact" || fail "bridge download: sha256 $got"
r9=$(ip netns exec $HA timeout 10 $PY "$tmp/client.py" 10.200.0.2 9 3)
[ "$r9" = reply ] && ok "passive box does not block port 9" || fail "passive: port 9: $r9 (want reply)"
transfer "bridge" 5003
sleep 0.5
kill -INT $mbpid 2>/dev/null
wait $mbpid
rc=$?
if [ -n "$capid" ]; then
	kill -INT $capid 2>/dev/null
	wait $capid
fi
[ $rc = 0 ] || fail "passive run exit status $rc: $(cat "$tmp/passive.log")"
st="$tmp/passive.json"
echo "passive stats: packets=$(field "$st" packets) tcp=$(field "$st" tcp) forwarded=$(field "$st" forwarded) tx_packets=$(field "$st" tx_packets) dropped=$(field "$st" dropped)"
[ "$(field "$st" forwarded)" = 0 ] && [ "$(field "$st" tx_packets)" = 0 ] &&
	ok "passive box sent nothing" || fail "passive box transmitted"
[ "$(field "$st" dropped)" -ge 1 ] 2>/dev/null &&
	ok "passive box counted its drop verdicts without acting on them" || fail "passive dropped=$(field "$st" dropped)"
grep -q "10.200.0.1:[0-9]* -> 10.200.0.2:8080 " "$tmp/passive.flows" &&
	ok "passive box saw the HTTP connection" || fail "passive: no HTTP flow in: $(cat "$tmp/passive.flows")"
grep -q "10.200.0.1:[0-9]* -> 10.200.0.2:9 " "$tmp/passive.flows" &&
	ok "passive box saw the port 9 connection" || fail "passive: no port 9 flow"

# The passive box saw what offline analysis of a capture of the same
# traffic sees: the same connections (client and server address:port).
if [ -s "$tmp/mirror.pcap" ]; then
	"$DROPPER" -q -r "$tmp/mirror.pcap" --out "$tmp/offline.flows" >"$tmp/offline.log" 2>&1 ||
		fail "offline run on the capture: $(cat "$tmp/offline.log")"
	# endpoint pairs in a fixed order: which side a box calls the client
	# depends on whether it saw the SYN, and either may miss a frame under load
	pairs() { awk '{ a = $1; b = $3; if (a > b) { t = a; a = b; b = t }; print a, b }' "$1" | sort -u; }
	pairs "$tmp/passive.flows" >"$tmp/p.set"
	pairs "$tmp/offline.flows" >"$tmp/o.set"
	n=$(wc -l <"$tmp/o.set")
	# the download, port 9 and the transfer
	if [ "$n" -ge 3 ] && cmp -s "$tmp/p.set" "$tmp/o.set"; then
		ok "passive box and offline analysis of the capture report the same $n connections"
	else
		fail "passive vs offline connections differ ($n offline): $(diff "$tmp/p.set" "$tmp/o.set" | head -10 | tr '\n' ' ')"
	fi
else
	echo "# no tcpdump or empty capture: passive vs offline comparison skipped"
fi

# --- simple_firewall inline --------------------------------------------------------
if [ -n "$FIREWALL" ] && [ -x "$FIREWALL" ]; then
	ip -n $MB link set a1 nomaster && ip -n $MB link set b1 nomaster && ip -n $MB link del br0 ||
		{ echo "FAIL: bridge removal"; exit 1; }
	printf 'drop tcp any any -> any 6000\n' >"$tmp/fw.rules"
	ip netns exec $MB env MOS_FW_RULES="$tmp/fw.rules" timeout -s INT 60 "$FIREWALL" -q --inline \
		--dpdk "$EAL" --stats "$tmp/fw.json" >"$tmp/fw.out" 2>"$tmp/fw.log" &
	mbpid=$!
	pids+=($mbpid)
	wait_up
	if [ $up = 1 ]; then
		ok "simple_firewall: hA reaches hB through the firewall"
		r6=$(ip netns exec $HA timeout 10 $PY "$tmp/client.py" 10.200.0.2 6000 3)
		[ "$r6" = connect-timeout ] && ok "simple_firewall: drop rule blocks TCP port 6000" ||
			fail "simple_firewall: port 6000: $r6 (want connect-timeout)"
		ip netns exec $HA timeout $TIME_LIMIT curl -s --max-time $TIME_LIMIT -o "$tmp/got4" \
			http://10.200.0.2:8080/blob
		got=$(sha256sum <"$tmp/got4" 2>/dev/null | cut -d' ' -f1)
		[ "$got" = "$want" ] && ok "simple_firewall: download intact" || fail "simple_firewall: download sha256 $got"
	else
		fail "simple_firewall: no connectivity: $(cat "$tmp/fw.log")"
	fi
	kill -INT $mbpid 2>/dev/null
	wait $mbpid
	rc=$?
	[ $rc = 0 ] || fail "simple_firewall exit status $rc: $(cat "$tmp/fw.log")"
	grep -q '"action":"drop".*"server_port":6000' "$tmp/fw.out" &&
		ok "simple_firewall: verdict record for the dropped connection" ||
		fail "simple_firewall: no drop verdict in: $(head -c 400 "$tmp/fw.out")"
	[ "$(field "$tmp/fw.json" dropped)" -ge 1 ] 2>/dev/null &&
		ok "simple_firewall: dropped $(field "$tmp/fw.json" dropped) frames" ||
		fail "simple_firewall: dropped=$(field "$tmp/fw.json" dropped)"
else
	echo "# no simple_firewall program given: firewall case skipped"
fi

if [ $failed = 0 ]; then echo "PASS"; exit 0; fi
exit 1
