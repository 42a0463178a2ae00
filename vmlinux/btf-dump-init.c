/* The /init that vmlinux/gen-arm64-qemu.sh boots in qemu-system-aarch64: it
 * prints the kernel's /proc/version and its BTF (/sys/kernel/btf/vmlinux),
 * base64-encoded, on the console, then powers the machine off. The script
 * cuts the BTF out of the console log and checks it against the size and the
 * POSIX cksum CRC printed after it.
 *
 * Freestanding aarch64, no libc: raw syscalls, static buffers.
 *   clang --target=aarch64-linux-gnu -ffreestanding -nostdlib -static \
 *       -fuse-ld=lld -O2 -o init btf-dump-init.c
 *
 * Console protocol, one item a line:
 *   NUMALENS-VERSION <contents of /proc/version>
 *   NUMALENS-BTF-BEGIN
 *   <base64, 76 characters a line>
 *   NUMALENS-BTF-END <bytes> <cksum CRC>
 * or NUMALENS-ERROR <what> <errno> when something fails.
 */

#define SYS_mkdirat 34
#define SYS_mount 40
#define SYS_openat 56
#define SYS_close 57
#define SYS_read 63
#define SYS_write 64
#define SYS_ioctl 29
#define SYS_exit 93
#define SYS_reboot 142

#define AT_FDCWD -100
#define O_RDONLY 0
#define O_WRONLY 1
#define O_NOCTTY 0400
#define EINTR 4
#define EAGAIN 11
#define TCSBRK 0x5409
#define REBOOT_MAGIC1 0xfee1dead
#define REBOOT_MAGIC2 672274793
#define REBOOT_POWER_OFF 0x4321fedc

static long sys5(long nr, long a, long b, long c, long d, long e)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
			 : "memory");
	return x0;
}

static int out_fd = 1;
static char out_buf[1 << 16];
static unsigned long out_len;
static unsigned char in_buf[1 << 16];

static void flush(void)
{
	unsigned long done = 0;

	while (done < out_len) {
		long n = sys5(SYS_write, out_fd, (long)(out_buf + done), out_len - done, 0, 0);

		if (n == -EINTR || n == -EAGAIN)
			continue;
		if (n <= 0)
			break; /* nowhere to report it: the script sees no END line */
		done += n;
	}
	out_len = 0;
}

static void put_char(char c)
{
	if (out_len == sizeof(out_buf))
		flush();
	out_buf[out_len++] = c;
}

static void put_str(const char *s)
{
	while (*s)
		put_char(*s++);
}

static void put_ulong(unsigned long v)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		put_char(digits[--n]);
}

static __attribute__((noreturn)) void power_off(void)
{
	flush();
	sys5(SYS_ioctl, out_fd, TCSBRK, 1, 0, 0); /* tcdrain: the UART sends all first */
	sys5(SYS_reboot, REBOOT_MAGIC1, REBOOT_MAGIC2, REBOOT_POWER_OFF, 0, 0);
	for (;;) /* init must not exit; the kernel's panic=-1 would reboot */
		sys5(SYS_exit, 0, 0, 0, 0, 0);
}

static __attribute__((noreturn)) void fail(const char *what, long err)
{
	put_str("\nNUMALENS-ERROR ");
	put_str(what);
	put_char(' ');
	put_ulong((unsigned long)-err);
	put_char('\n');
	power_off();
}

/* POSIX cksum: CRC-32, polynomial 0x04c11db7, MSB first, then the length's
 * bytes, least significant first, then inverted. */
static unsigned int crc;

static void crc_byte(unsigned char b)
{
	crc ^= (unsigned int)b << 24;
	for (int i = 0; i < 8; i++)
		crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04c11db7u : crc << 1;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static unsigned char group[3];
static int group_len;
static int line_len;

static void b64_group(int n)
{
	unsigned int v = (unsigned int)group[0] << 16 | (unsigned int)group[1] << 8 | group[2];

	put_char(b64[v >> 18 & 63]);
	put_char(b64[v >> 12 & 63]);
	put_char(n > 1 ? b64[v >> 6 & 63] : '=');
	put_char(n > 2 ? b64[v & 63] : '=');
	line_len += 4;
	if (line_len == 76) {
		put_char('\n');
		line_len = 0;
	}
}

static void b64_byte(unsigned char b)
{
	group[group_len++] = b;
	if (group_len == 3) {
		b64_group(3);
		group_len = 0;
	}
}

static void b64_end(void)
{
	if (group_len) {
		for (int i = group_len; i < 3; i++)
			group[i] = 0;
		b64_group(group_len);
	}
	if (line_len)
		put_char('\n');
}

static void mount_fs(const char *type, const char *dir)
{
	long err = sys5(SYS_mount, (long)type, (long)dir, (long)type, 0, 0);

	if (err < 0)
		fail(dir, err);
}

static void print_version(void)
{
	long fd = sys5(SYS_openat, AT_FDCWD, (long)"/proc/version", O_RDONLY, 0, 0);
	long n;

	if (fd < 0)
		fail("/proc/version", fd);
	n = sys5(SYS_read, fd, (long)in_buf, sizeof(in_buf) - 1, 0, 0);
	if (n < 0)
		fail("/proc/version", n);
	sys5(SYS_close, fd, 0, 0, 0, 0);
	put_str("NUMALENS-VERSION ");
	for (long i = 0; i < n && in_buf[i] != '\n'; i++)
		put_char((char)in_buf[i]);
	put_char('\n');
}

void __attribute__((noreturn)) _start(void)
{
	unsigned long total = 0;
	long fd;

	/* The initramfs has no /dev/console node, so the kernel gave /init no
	 * descriptors: open the console from devtmpfs. */
	mount_fs("devtmpfs", "/dev");
	fd = sys5(SYS_openat, AT_FDCWD, (long)"/dev/console", O_WRONLY | O_NOCTTY, 0, 0);
	if (fd < 0)
		fail("/dev/console", fd); /* written to fd 1, which may be open */
	out_fd = (int)fd;
	mount_fs("proc", "/proc");
	mount_fs("sysfs", "/sys");
	print_version();

	fd = sys5(SYS_openat, AT_FDCWD, (long)"/sys/kernel/btf/vmlinux", O_RDONLY, 0, 0);
	if (fd < 0)
		fail("/sys/kernel/btf/vmlinux", fd);
	put_str("NUMALENS-BTF-BEGIN\n");
	for (;;) {
		long n = sys5(SYS_read, fd, (long)in_buf, sizeof(in_buf), 0, 0);

		if (n == -EINTR)
			continue;
		if (n < 0)
			fail("read /sys/kernel/btf/vmlinux", n);
		if (n == 0)
			break;
		for (long i = 0; i < n; i++) {
			crc_byte(in_buf[i]);
			b64_byte(in_buf[i]);
		}
		total += n;
	}
	b64_end();
	for (unsigned long len = total; len; len >>= 8)
		crc_byte((unsigned char)(len & 0xff));
	put_str("NUMALENS-BTF-END ");
	put_ulong(total);
	put_char(' ');
	put_ulong(~crc & 0xffffffffu);
	put_char('\n');
	power_off();
}
