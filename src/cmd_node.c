//  cmd_node - `pushfabric edge|proc|retry NAME`: run one node in the foreground
//  until SIGINT or SIGTERM, then stop it cleanly and exit 0.

#include "cmd.h"

static const char *s_usage_edge =
    "usage: pushfabric edge NAME [-c FILE] [-v]\n"
    "\n"
    "Runs the edge NAME of the fabric in the foreground: it serves the PF1 client\n"
    "protocol on its frontend and routes messages to the procs. SIGINT or SIGTERM\n"
    "stops it after every push in flight has been answered.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   fabric configuration (default $PUSHFABRIC_CONFIG, else ./fabric.cfg)\n"
    "  -v, --verbose       log every message (debug level)\n"
    "  -h, --help          print this help\n";

static const char *s_usage_proc =
    "usage: pushfabric proc NAME [-c FILE] [-v]\n"
    "\n"
    "Runs the proc NAME of the fabric in the foreground: it dedupes and stores the\n"
    "messages of its partitions in its SQLite database and answers the edges after\n"
    "each commit. SIGINT or SIGTERM stops it after committing what it holds and\n"
    "answering every verdict it owes.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   fabric configuration (default $PUSHFABRIC_CONFIG, else ./fabric.cfg)\n"
    "  -v, --verbose       log every message (debug level)\n"
    "  -h, --help          print this help\n";

static const char *s_usage_retry =
    "usage: pushfabric retry NAME [-c FILE] [-v]\n"
    "\n"
    "Runs the retry node NAME of the fabric in the foreground: it stores the procs'\n"
    "failed deliveries in its SQLite database, hands each back to its proc after an\n"
    "exponential backoff, and keeps the dead letters of messages that used all their\n"
    "attempts (see 'pushfabric dlq'). SIGINT or SIGTERM stops it after committing what\n"
    "it holds and answering every hand-off it owes.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   fabric configuration (default $PUSHFABRIC_CONFIG, else ./fabric.cfg)\n"
    "  -v, --verbose       log every message (debug level)\n"
    "  -h, --help          print this help\n";

int
cmd_node (int argc, char **argv)
{
    const char *role = argv [0];
    const char *usage = streq (role, "edge") ? s_usage_edge
                      : streq (role, "proc") ? s_usage_proc : s_usage_retry;
    zactor_fn *actor = streq (role, "edge") ? pf_edge
                     : streq (role, "proc") ? pf_proc : pf_retry;
    static struct option options [] = { CMD_COMMON_LONG, { NULL, 0, NULL, 0 } };
    const char *config_path = NULL;
    bool verbose = false;
    int option;
    while ((option = getopt_long (argc, argv, CMD_COMMON_SHORT, options, NULL)) != -1) {
        if (option == 'v')
            verbose = true;
        if (!cmd_common_option (option, usage, &config_path))
            cmd_usage_error (usage, "unknown option");
    }
    if (optind != argc - 1)
        cmd_usage_error (usage, "%s takes exactly one NAME", role);
    const char *name = argv [optind];

    pf_config_t *config = cmd_load_config (cmd_config_path (config_path));
    const char *actual = pf_config_role_of (config, name);
    if (!actual || !streq (actual, role))
        cmd_fatal ("%s: no %s named '%s'", pf_config_path (config), role, name);
    char ident [128];
    snprintf (ident, sizeof ident, "%s/%s", role, name);
    pf_log_set_node (ident);
    pf_log_level_t level;
    if (!verbose
    &&  pf_log_level_parse (pf_config_node_str (config, role, name, "log-level"), &level) == 0)
        pf_log_set_level (level);
    pf_log_set_json (streq (pf_config_node_str (config, role, name, "log"), "json"));
    pf_log_set_syslog (streq (pf_config_node_str (config, role, name, "log-to"), "syslog"));

    //  Only this thread takes SIGINT and SIGTERM, which set zsys_interrupted;
    //  the node's threads start with them blocked and stop on $TERM
    zsys_catch_interrupts ();
    zsys_set_linger (1000);
    sigset_t signals, previous;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, &previous);
    //  The metrics listener first: a port in use fails the start before
    //  the node says ready
    char *error = NULL;
    pf_metrics_t *metrics = pf_metrics_new (config, role, name, &error);
    zactor_t *node = NULL;
    pf_node_args_t args = { config, name };     //  the node reads it as long as it runs
    if (!error) {
        node = zactor_new (actor, &args);
        error = pf_node_wait_ready (node);
    }
    pthread_sigmask (SIG_SETMASK, &previous, NULL);
    if (error) {
        pf_metrics_destroy (&metrics);
        zactor_destroy (&node);
        pf_config_destroy (&config);
        cmd_fatal ("%s %s: %s", role, name, error);
    }
    while (!zsys_interrupted)
        zclock_sleep (100);
    pf_notice ("stopping on signal");
    pf_metrics_destroy (&metrics);
    zactor_destroy (&node);
    pf_config_destroy (&config);
    return 0;
}
