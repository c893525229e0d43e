/* The approver's commands, run on the approver's machine, not the server:
 * `qpayd approval-key new --out FILE` and `qpayd approve --key FILE --store S
 * [--url URL] REFUND_ID` (docs/operations.md, Approval keys). They read no
 * config file. */
#ifndef QPAYD_API_APPROVE_CLI_H
#define QPAYD_API_APPROVE_CLI_H

/* Is cmd one of them? */
int approve_cli_is_command(const char *cmd);
/* Runs the command line; returns the exit code (0, 1, 2 usage). */
int approve_cli_main(int argc, char **argv);

#endif
