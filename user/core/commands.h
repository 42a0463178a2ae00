/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands main() dispatches to; each returns an exit status. */
#ifndef NUMALENS_COMMANDS_H
#define NUMALENS_COMMANDS_H

int cmd_diagnose(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_pin(int argc, char **argv);
int cmd_unpin(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_selftest(int argc, char **argv);

#endif /* NUMALENS_COMMANDS_H */
