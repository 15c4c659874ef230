// UDP flood for the fidelity benchmark: COUNT datagrams of SIZE payload bytes to ADDR:PORT, sendmmsg()
// in batches, as fast as the stack takes them. Prints "<sent> <seconds>" on stdout.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 256

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: flood ADDR PORT COUNT SIZE\n");
		return 2;
	}
	long count = atol(argv[3]);
	size_t size = (size_t)atol(argv[4]);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 || count < 0 || size > 1400) {
		fprintf(stderr, "flood: bad address, count or size (at most 1400 B)\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		perror("flood: socket");
		return 1;
	}
	static char payload[1400];
	memset(payload, 'x', sizeof(payload));
	struct iovec iov = { .iov_base = payload, .iov_len = size };
	struct mmsghdr msgs[BATCH];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long sent = 0;
	while (sent < count) {
		int n = sendmmsg(fd, msgs, (unsigned)(count - sent < BATCH ? count - sent : BATCH), 0);
		if (n < 0) {
			/* The port is closed: the server's ICMP unreachables come back as ECONNREFUSED; go on. */
			if (errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			perror("flood: sendmmsg");
			return 1;
		}
		sent += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	printf("%ld %.6f\n", sent, (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9);
	return 0;
}
