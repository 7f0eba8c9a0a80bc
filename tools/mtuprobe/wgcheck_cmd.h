/* wgcheck_cmd.h - `mtuprobe check FILE...`: offline checks of wg-quick
 * configuration files (check.c; the checks are pathdiag/wgcheck.h).
 */
#ifndef PATHDIAG_MTUPROBE_WGCHECK_CMD_H
#define PATHDIAG_MTUPROBE_WGCHECK_CMD_H

#include "tool.h"

int mtuprobe_check(struct tool_ctx *ctx, int argc, char **argv);
/* Its options (struct tool_cmd: opts, opt). */
extern const struct tool_opt mtuprobe_check_opts[];
int mtuprobe_check_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg);

#endif
