//  pushfabric - main: picks the subcommand and hands it the rest of argv.

#include "cmd.h"

static const struct {
    const char *name;
    int (*run) (int argc, char **argv);
    const char *summary;
} s_commands [] = {
    { "init", cmd_init, "write a working single-machine fabric into a folder" },
    { "up", cmd_up, "start every node of the config and supervise them" },
    { "edge", cmd_node, "run one edge node in the foreground" },
    { "proc", cmd_node, "run one proc node in the foreground" },
    { "retry", cmd_node, "run one retry node in the foreground" },
    { "keygen", cmd_keygen, "write a CURVE certificate pair" },
    { "send", cmd_send, "push messages to the fabric" },
    { "dlq", cmd_dlq, "list, show, replay or purge dead letters" },
    { "stats", cmd_stats, "show each node's counters, gauges and latency percentiles" },
    { "top", cmd_top, "a live view of the fabric: rates, backlogs, p99s, liveness" },
    { "work", cmd_work, "run a command for each delivery" },
    { "bench", cmd_bench, "measure accepted/s and latency against a baseline" },
};
#define S_COMMANDS (sizeof s_commands / sizeof s_commands [0])

static void
s_print_usage (FILE *stream)
{
    fprintf (stream, "usage: pushfabric COMMAND [-c FILE] [OPTIONS] [ARGS]\n\ncommands:\n");
    for (size_t index = 0; index < S_COMMANDS; index++)
        fprintf (stream, "  %-8s %s\n", s_commands [index].name, s_commands [index].summary);
    fprintf (stream, "\n'pushfabric COMMAND --help' describes a command; "
                     "see pushfabric(1).\n");
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        s_print_usage (stderr);
        return 2;
    }
    if (streq (argv [1], "--help") || streq (argv [1], "-h") || streq (argv [1], "help")) {
        s_print_usage (stdout);
        return 0;
    }
    if (streq (argv [1], "--version")) {
        printf ("pushfabric %s\n", pf_version ());
        return 0;
    }
    for (size_t index = 0; index < S_COMMANDS; index++)
        if (streq (argv [1], s_commands [index].name))
            return s_commands [index].run (argc - 1, argv + 1);
    fprintf (stderr, "pushfabric: unknown command '%s'\n", argv [1]);
    s_print_usage (stderr);
    return 2;
}
