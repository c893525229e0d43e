/* `qpayd refunds` and `qpayd refunds-once` run in qpayd-executor: on the
 * wallet host qpayd execs the qpayd-executor installed beside it. */
#ifndef QPAYD_API_HANDOFF_H
#define QPAYD_API_HANDOFF_H

/* The first non-option argument of argv (skipping the values of options that
 * take one), or NULL. */
const char *handoff_command(int argc, char **argv);
/* True for the commands that belong to qpayd-executor. */
int handoff_is_executor_command(const char *cmd);
/* Execs qpayd-executor with the same arguments. Returns only on failure,
 * with the exit code to use (2) after printing why. */
int handoff_exec(int argc, char **argv);

#endif
