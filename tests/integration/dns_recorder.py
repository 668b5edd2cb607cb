# SPDX-License-Identifier: MIT
# A resolver stand-in for a test namespace whose resolv.conf points at 127.0.0.1:53: every
# query's name goes to LOGFILE (one line each) and is answered NXDOMAIN at once, so a lookup
# fails fast instead of timing out. A test truncates LOGFILE, runs phantom, and reads it back:
# an empty file proves that nothing in the namespace resolved a name locally.
#   python3 dns_recorder.py LOGFILE
import socket
import sys

log = open(sys.argv[1], "a", buffering=1)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 53))
while True:
    packet, peer = sock.recvfrom(4096)
    if len(packet) < 12:
        continue
    # Question name (RFC 1035 §4.1.2): length-prefixed labels up to a zero byte.
    labels, pos = [], 12
    while pos < len(packet) and packet[pos] != 0 and len(labels) < 64:
        n = packet[pos]
        labels.append(packet[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    question_end = pos + 5  # the zero byte, QTYPE, QCLASS
    qtype = int.from_bytes(packet[pos + 1:pos + 3], "big") if pos + 3 <= len(packet) else 0
    log.write("%s type=%d from=%s\n" % (".".join(labels) or ".", qtype, peer[0]))
    # Header: same ID, QR=1, opcode and RD copied, RA=1, RCODE=3 (NXDOMAIN), one question.
    flags = 0x8000 | (packet[2] & 0x79) << 8 | 0x0080 | 3
    answer = packet[:2] + flags.to_bytes(2, "big") + b"\x00\x01\x00\x00\x00\x00\x00\x00"
    sock.sendto(answer + packet[12:question_end], peer)
