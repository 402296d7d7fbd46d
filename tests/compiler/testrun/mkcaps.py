import sys
sys.path.insert(0, "/work/main/tools")
from pcapkit import *
conv = TcpConversation("10.0.0.1", 40000, "10.0.0.2", 80, t0=1700000000.0)
pkts = conv.handshake() + conv.send_c2s(http_get("example.com", "/a")) + conv.send_s2c(http_response(b"hi")) \
     + conv.send_c2s(http_get("example.com", "/b")) + conv.send_s2c(http_response(b"ho")) + conv.close()
write_pcap(sys.argv[1], pkts)
