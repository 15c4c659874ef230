// A socket experiment done by hand, for the latency benchmark: load bpf/dump.bpf.o with libbpf, attach it to
// a socket on 127.0.0.1:16962 (`tcp`: a listener, serving one connection; `udp`: one datagram; `raw`: a raw
// IPPROTO_TCP socket, two packets), drain the ring buffer, print the count. No harness: the floor the
// harness's overhead is measured against.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "../../bpf/record.h"

static int records;

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	records++;
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "tcp";
	struct bpf_object *obj = bpf_object__open_file("build/bpf/dump.bpf.o", NULL);
	struct bpf_program *p;
	if (!obj) {
		perror("opening build/bpf/dump.bpf.o");
		return 1;
	}
	/* Only the socket filter, ring buffer only: the object's tc and cgroup entries and its trace_pipe
	 * code would each cost verifier time (the harness's server skips them the same way). */
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), "dump"));
	struct bpf_map *channels = bpf_object__find_map_by_name(obj, ".rodata.channels");
	size_t size;
	if (channels)
		*(__u8 *)bpf_map__initial_value(channels, &size) = 0;
	if (bpf_object__load(obj)) {
		perror("loading build/bpf/dump.bpf.o");
		return 1;
	}
	__u32 zero = 0;
	struct dump_config config = { .tag = 1, .channel = DUMP_CHANNEL_RINGBUF };
	bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "config"), &zero, &config, 0);
	struct ring_buffer *rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "records"), on_record, NULL, NULL);
	int prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "dump"));
	int tcp = !strcmp(mode, "tcp"), raw = !strcmp(mode, "raw"), one = 1;
	int fd = tcp ? socket(AF_INET, SOCK_STREAM, 0) : raw ? socket(AF_INET, SOCK_RAW, IPPROTO_TCP) : socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(16962), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((!raw && bind(fd, (struct sockaddr *)&addr, sizeof(addr))) || (tcp && listen(fd, 1)) ||
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog))) {
		perror("socket");
		return 1;
	}
	puts("ready");
	fflush(stdout);
	char buf[4096];
	if (tcp) {
		int conn = accept(fd, NULL, NULL);
		while (read(conn, buf, sizeof(buf)) > 0)
			;
		setsockopt(conn, SOL_SOCKET, SO_DETACH_BPF, &zero, sizeof(zero));
		close(conn);
	} else {
		/* udp: the datagram; raw: the SYN and the kernel's RST|ACK to a port nobody listens on. */
		for (int reads = raw ? 2 : 1; reads > 0; reads--)
			recv(fd, buf, sizeof(buf), 0);
	}
	setsockopt(fd, SOL_SOCKET, SO_DETACH_BPF, &zero, sizeof(zero));
	ring_buffer__consume(rb);
	printf("%d records\n", records);
	close(fd);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}
