//  cmd.h - the command layer: one int cmd_<name> (int argc, char **argv) per
//  subcommand (argv [0] is the subcommand's name). Only this layer exits.

#ifndef CMD_H_INCLUDED
#define CMD_H_INCLUDED

#include "pf_classes.h"
#include <getopt.h>

//  Print "pushfabric: <message>" on stderr and exit 1.
void
    cmd_fatal (const char *format, ...)
    __attribute__ ((format (printf, 1, 2), noreturn));

//  Print usage on stdout and exit 0 (for --help).
void
    cmd_help (const char *usage) __attribute__ ((noreturn));

//  Print "pushfabric: <message>", then usage, on stderr and exit 2.
void
    cmd_usage_error (const char *usage, const char *format, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));

//  The config file to use: option (from -c) if given, else
//  $PUSHFABRIC_CONFIG, else ./fabric.cfg. Borrowed.
const char *
    cmd_config_path (const char *option);

//  Load the config or exit with its one-line error.
pf_config_t *
    cmd_load_config (const char *path);

//  Options every subcommand takes: -c FILE, -v, -h/--help. Commands append
//  their own to these in their getopt tables.
#define CMD_COMMON_SHORT "c:vh"
#define CMD_COMMON_LONG \
    { "config", required_argument, NULL, 'c' }, \
    { "verbose", no_argument, NULL, 'v' }, \
    { "help", no_argument, NULL, 'h' }

//  Handle a common option; returns true if it was one. usage is for --help.
bool
    cmd_common_option (int option, const char *usage, const char **config_path);

//  Parse a whole decimal number within [min, max] or exit with a usage error.
long long
    cmd_number (const char *usage, const char *name, const char *text,
                long long min, long long max);

//  Write a working single-machine fabric into dir (created with its parents):
//  keys first, then the data folder, then dir/fabric.cfg last, on 127.0.0.1
//  ports base_port to base_port + 39. Key pairs already in dir/keys are kept,
//  so a run that stopped short can be run again. Prints nothing. Returns 0,
//  or -1 with *error set to one line naming the path (caller frees), having
//  removed what it made; refuses a dir that already holds a fabric.cfg.
int
    cmd_init_fabric (const char *dir, int base_port, char **error);

int cmd_bench (int argc, char **argv);
int cmd_dlq (int argc, char **argv);
int cmd_init (int argc, char **argv);
int cmd_keygen (int argc, char **argv);
int cmd_node (int argc, char **argv);
int cmd_send (int argc, char **argv);
int cmd_stats (int argc, char **argv);
int cmd_top (int argc, char **argv);
int cmd_up (int argc, char **argv);
int cmd_work (int argc, char **argv);

#endif
