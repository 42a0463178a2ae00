/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bytes that come from another process: its comm (any 15 bytes, set with
 * prctl(PR_SET_NAME) or /proc/PID/comm), its command line, its cgroup path
 * (a delegated subtree can be given any name) and the unit, container and
 * pod names taken from that path. None of it is text until made so: it can
 * hold invalid UTF-8, newlines, quotes and terminal escape sequences.
 *
 * Where: once, at the edge where such bytes enter numalens (collect_read.c
 * for the collector's comm, nl_proc_stat_parse for /proc/PID/stat,
 * nl_proc_limits_read for comm, cgroup, unit, container, pod and command
 * line, nl_export_cgroup_path for the exporter's cgroup label, pin.c's
 * record reader), not in each front end, because:
 *   - every front end reads the same snapshot and limits (one data path),
 *     so one cleaning covers diagnose, top, pin, export and doctor, and a
 *     front end added later cannot forget it;
 *   - comm and cgroup are keys as well as text: the exporter groups series
 *     by them, top filters and sorts by comm, --auto-pin-comm matches it.
 *     Cleaned at render, two groups "a\xff" and "a\xfe" would print as the
 *     same label value, a duplicate series that Prometheus rejects; cleaned
 *     at the edge they are one group, shown as it is matched;
 *   - files numalens writes are line-based (pin records): a comm holding a
 *     newline would add lines of its own.
 * Raw bytes stay only where a file is opened with them (the cgroup paths
 * cgroup.c reads cpusets under). The renderers guard again, cheaply:
 * nl_untrusted_utf8 for JSON, nl_prom_escape_value for label values.
 */
#ifndef NUMALENS_UNTRUSTED_H
#define NUMALENS_UNTRUSTED_H

#include <stddef.h>

/* Length of the valid UTF-8 character at s (1 to 4 bytes, at most left),
 * 0 if none starts there: a stray continuation byte, an overlong form, a
 * surrogate, beyond U+10FFFF, or cut short. */
size_t nl_utf8_len(const char *s, size_t left);

/* Length of the character at s when a terminal may be given it as it is:
 * valid UTF-8 and neither a control character (C0, DEL, C1: ESC starts
 * escape sequences, and so does U+009B in terminals that read C1) nor a
 * bidirectional formatting character (U+202A-U+202E, U+2066-U+2069), which
 * reorders the text around it. 0 otherwise. */
size_t nl_text_char_len(const char *s, size_t left);

/*
 * The text sanitiser. Copies len bytes of src to dst (size bytes, always
 * NUL-terminated when size > 0) with each character that
 * nl_text_char_len refuses replaced by one '?', and each byte that starts
 * no character by one '?', as ps and top show such names. The result is
 * valid UTF-8 with no control character, never longer than src (so dst may
 * be src, and it fits the buffer it came in); a character that would not
 * fit is left out whole. Returns the length written.
 */
size_t nl_untrusted_text(char *dst, size_t size, const char *src, size_t len);
/* nl_untrusted_text on a NUL-terminated string, in place. */
void nl_untrusted_clean(char *s);

/*
 * For JSON: makes len bytes of src valid UTF-8 in dst (size bytes, always
 * NUL-terminated when size > 0), each byte that starts no character
 * becoming U+FFFD; control characters stay, as the JSON writer escapes
 * them (json-c writes ESC as \u001b) but passes invalid UTF-8 through.
 * dst and src must not overlap; 3 * len + 1 bytes always suffice, and a
 * character that would not fit is left out whole. Returns the length.
 */
size_t nl_untrusted_utf8(char *dst, size_t size, const char *src, size_t len);

#endif /* NUMALENS_UNTRUSTED_H */
