/* The cheapest possible uwsgi-protocol backend: no Python, one thread.
 *
 * It accepts on a unix socket, reads one uwsgi request (4-byte header and vars block; a body is
 * not read: the hello load sends none), writes a fixed HTTP response and closes. bench/ceiling
 * puts it behind the same nginx as uWSGI and uwsgid: it does the least work a backend can do,
 * so what it reaches shows how much of the rate the backend decides at all.
 *
 * Usage: null_uwsgi SOCKET_PATH [block|epoll] [SPIN_US]
 * `block` (the default) blocks in accept; `epoll` makes uWSGI's worker calls (epoll_wait,
 * accept4 non-blocking, read, write, close; poll only when a read would block). SPIN_US burns
 * that many microseconds of CPU per request before answering, standing in for an app.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nHello World";

static long spin_us;

static void spin(void) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000L + (now.tv_nsec - start.tv_nsec) / 1000 <
             spin_us);
}

static void serve(int conn) {
    char buf[65536];
    size_t have = 0;
    size_t want = 4;
    while (have < want) {
        ssize_t n = read(conn, buf + have, sizeof buf - have);
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = conn, .events = POLLIN};
            poll(&p, 1, -1);
            continue;
        }
        if (n <= 0) {
            return;
        }
        have += (size_t)n;
        if (want == 4 && have >= 4) {
            want = 4 + ((size_t)(unsigned char)buf[1] | ((size_t)(unsigned char)buf[2] << 8));
        }
    }
    if (spin_us > 0) {
        spin();
    }
    size_t off = 0;
    while (off < sizeof RESPONSE - 1) {
        ssize_t n = write(conn, RESPONSE + off, sizeof RESPONSE - 1 - off);
        if (n <= 0) {
            return;
        }
        off += (size_t)n;
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s SOCKET_PATH [block|epoll] [SPIN_US]\n", argv[0]);
        return 2;
    }
    spin_us = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof addr.sun_path) {
        fprintf(stderr, "socket path too long\n");
        return 2;
    }
    strcpy(addr.sun_path, argv[1]);
    unlink(argv[1]);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 100) < 0) {
        perror("listen");
        return 1;
    }
    int use_epoll = argc >= 3 && strcmp(argv[2], "epoll") == 0;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        perror("epoll");
        return 1;
    }
    for (;;) {
        int conn;
        if (use_epoll) {
            struct epoll_event got;
            if (epoll_wait(ep, &got, 1, -1) < 0) {
                continue;
            }
            conn = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
            if (conn < 0 && errno == EAGAIN) {
                continue;
            }
        } else {
            conn = accept(fd, NULL, NULL);
        }
        if (conn < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("accept");
            return 1;
        }
        serve(conn);
        close(conn);
    }
}
