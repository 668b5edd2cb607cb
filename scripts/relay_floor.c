// SPDX-License-Identifier: MIT
// The floor of one more hop, for scripts/bench_bridge.sh: a relay that does nothing but copy
// bytes. Accepts on 127.0.0.1:LISTEN, connects to 127.0.0.1:TO, copies both ways until both
// sides have closed, one connection at a time (the benchmark's requests are sequential).
// Whatever a client pays through it beyond talking to TO directly is what any extra process
// in the path costs on this machine: the part of the bridge's cost no bridge can avoid.
//   relay_floor LISTEN TO
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int write_all(int fd, const char* data, ssize_t n) {
    while (n > 0) {
        const ssize_t w = write(fd, data, (size_t)n);
        if (w <= 0) {
            return -1;
        }
        data += w;
        n -= w;
    }
    return 0;
}

static void relay(int client, int upstream) {
    static char buffer[65536];
    struct pollfd p[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    int open_directions = 2;
    while (open_directions > 0 && poll(p, 2, -1) > 0) {
        for (int i = 0; i < 2; ++i) {
            if (p[i].fd < 0 || p[i].revents == 0) {
                continue;
            }
            const int to = i == 0 ? upstream : client;
            const ssize_t n = read(p[i].fd, buffer, sizeof buffer);
            if (n <= 0) {
                shutdown(to, SHUT_WR);
                p[i].fd = -1;
                --open_directions;
            } else if (write_all(to, buffer, n) != 0) {
                return;
            }
        }
    }
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: relay_floor LISTEN TO\n");
        return 64;
    }
    const int one = 1;
    const struct sockaddr_in listen_at = loopback(atoi(argv[1]));
    const struct sockaddr_in to = loopback(atoi(argv[2]));
    const int l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (const struct sockaddr*)&listen_at, sizeof listen_at) != 0 || listen(l, 128) != 0) {
        perror("relay_floor: listen");
        return 1;
    }
    for (;;) {
        const int client = accept(l, NULL, NULL);
        if (client < 0) {
            continue;
        }
        const int upstream = socket(AF_INET, SOCK_STREAM, 0);
        if (upstream >= 0 && connect(upstream, (const struct sockaddr*)&to, sizeof to) == 0) {
            setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            relay(client, upstream);
        }
        close(upstream);
        close(client);
    }
}
