/* udpblast.c - send small UDP datagrams as fast as one core can, for the
 * live part of `make bench` (bench/tunsniff-bench.sh): how many packets a
 * second the lab's veth carries, and what tunsniff captures of them.
 *
 * Usage: udpblast ADDRESS PORT SECONDS [PAYLOAD_BYTES]
 * A connected UDP socket sends batches of BATCH identical datagrams with
 * sendmmsg(2) until SECONDS have passed.  Prints one tab-separated line:
 * datagrams sent, seconds, datagrams per second.  Only ever run it inside a
 * lab namespace towards an address of that lab.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static unsigned char payload[1472];
	struct mmsghdr msg[BATCH];
	struct iovec iov;
	struct sockaddr_in to;
	unsigned long long sent = 0;
	double secs, t0, t1;
	size_t len = 18; /* 18 + 8 + 20 + 14: a 60-byte Ethernet frame */
	int fd;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: udpblast ADDRESS PORT SECONDS [PAYLOAD_BYTES]\n");
		return 3;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "udpblast: %s is not an IPv4 address\n", argv[1]);
		return 3;
	}
	secs = atof(argv[3]);
	if (argc == 5)
		len = (size_t)atoi(argv[4]);
	if (secs <= 0 || len > sizeof(payload)) {
		fprintf(stderr, "udpblast: bad duration or payload size\n");
		return 3;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("udpblast: socket");
		return 3;
	}
	iov.iov_base = payload;
	iov.iov_len = len;
	memset(msg, 0, sizeof(msg));
	for (int i = 0; i < BATCH; i++) {
		msg[i].msg_hdr.msg_iov = &iov;
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	t1 = t0;
	while (t1 - t0 < secs) {
		for (int k = 0; k < 16; k++) {
			int n = sendmmsg(fd, msg, BATCH, 0);

			if (n > 0)
				sent += (unsigned long long)n;
			else if (n < 0 && errno != ENOBUFS && errno != EAGAIN &&
				 errno != ECONNREFUSED && errno != EINTR) {
				perror("udpblast: sendmmsg");
				return 3;
			}
		}
		t1 = now_s();
	}
	close(fd);
	printf("%llu\t%.3f\t%.0f\n", sent, t1 - t0, (double)sent / (t1 - t0));
	return 0;
}
