/* icmpguard.h - mtuprobe's account of ICMP errors it did not believe, and of
 * the kernel's route cache that such errors may have lowered (icmpguard.c).
 */
#ifndef PATHDIAG_MTUPROBE_ICMPGUARD_H
#define PATHDIAG_MTUPROBE_ICMPGUARD_H

#include <jansson.h>
#include <sys/socket.h>

#include "mtuprobe.h"

/* After the search: the path MTU the kernel has cached toward dst (a PMTU
 * exception, from ICMP errors it accepted), into res->kernel_pmtu (0: none). */
void mtuprobe_guard_measure(const struct sockaddr_storage *dst, struct mtuprobe_result *res);
/* The kernel-pmtu-below finding (INFO): the cache holds less than measured. */
void mtuprobe_guard_conclude(struct mtuprobe_result *res);
/* Text: the ignored errors by kind and the cache note, when there are any. */
void mtuprobe_guard_text(const struct mtuprobe_result *r, struct tool_out *out);
/* JSON: "ignored_errors", "send_retries" and "kernel_pmtu". */
void mtuprobe_guard_json(const struct mtuprobe_result *r, json_t *doc);

#endif
