//  cmd_stats - `pushfabric stats [NODE...] [--json | --prometheus]`: each
//  node's counters, gauges and latency percentiles, asked for with the
//  control command STATS (pf_control) and rendered by pf_stats.

#include "cmd.h"

static const char *s_usage =
    "usage: pushfabric stats [NODE...] [--json | --prometheus] [-c FILE] [-v]\n"
    "\n"
    "Asks each NODE (default: every node of the config) for its counters, gauges\n"
    "and latency percentiles over its control endpoint, and prints them as a\n"
    "table, as one JSON object keyed by node name (--json), or in the Prometheus\n"
    "text exposition format (--prometheus). A node that is unknown or does not\n"
    "answer within a few seconds makes it exit 1 with one line naming it.\n"
    "\n"
    "options:\n"
    "  --json              one JSON object keyed by node name\n"
    "  --prometheus        the Prometheus text exposition format\n"
    "  -c, --config FILE   fabric configuration (default $PUSHFABRIC_CONFIG, else ./fabric.cfg)\n"
    "  -v, --verbose       log at debug level\n"
    "  -h, --help          print this help\n";

int
cmd_stats (int argc, char **argv)
{
    static struct option options [] = {
        { "json", no_argument, NULL, 'j' },
        { "prometheus", no_argument, NULL, 'p' },
        CMD_COMMON_LONG,
        { NULL, 0, NULL, 0 }
    };
    const char *config_path = NULL;
    bool json = false, prometheus = false;
    int option;
    while ((option = getopt_long (argc, argv, CMD_COMMON_SHORT, options, NULL)) != -1) {
        if (option == 'j')
            json = true;
        else
        if (option == 'p')
            prometheus = true;
        else
        if (!cmd_common_option (option, s_usage, &config_path))
            cmd_usage_error (s_usage, "unknown option");
    }
    if (json && prometheus)
        cmd_usage_error (s_usage, "--json and --prometheus exclude each other");

    pf_config_t *config = cmd_load_config (cmd_config_path (config_path));
    zlistx_t *names = zlistx_new ();
    if (optind < argc)
        for (int index = optind; index < argc; index++)
            zlistx_add_end (names, argv [index]);
    else {
        const char *roles [] = { "edge", "proc", "retry" };
        for (size_t role = 0; role < 3; role++) {
            zlistx_t *nodes = pf_config_nodes (config, roles [role]);
            for (const char *name = (const char *) zlistx_first (nodes); name;
                 name = (const char *) zlistx_next (nodes))
                zlistx_add_end (names, (void *) name);
        }
    }
    size_t count = zlistx_size (names);
    pf_stats_t **stats = (pf_stats_t **) calloc (count ? count : 1, sizeof (pf_stats_t *));
    const char **labels = (const char **) calloc (count ? count : 1, sizeof (char *));
    assert (stats && labels);
    size_t index = 0;
    char *error = NULL;
    for (const char *name = (const char *) zlistx_first (names); name && !error;
         name = (const char *) zlistx_next (names), index++) {
        labels [index] = name;
        zmsg_t *reply = pf_control_call (config, name, "admin", PF_CONTROL_TIMEOUT, &error,
                                         "STATS", NULL);
        zframe_t *frame = reply ? zmsg_first (reply) : NULL;
        if (reply)
            stats [index] = frame ? pf_stats_decode (zframe_data (frame), zframe_size (frame))
                                  : NULL;
        if (reply && !stats [index])
            error = zsys_sprintf ("node '%s' sent malformed stats", name);
        zmsg_destroy (&reply);
    }
    int status = 0;
    if (error) {
        fprintf (stderr, "pushfabric: %s\n", error);
        free (error);
        status = 1;
    }
    else {
        pf_buf_t buf = { 0 };
        if (prometheus)
            pf_stats_prometheus (stats, labels, count, &buf);
        else
        if (json) {
            pf_json_append (&buf, "{");
            for (index = 0; index < count; index++) {
                pf_json_append (&buf, index ? ", " : "");
                pf_stats_json (stats [index], labels [index], &buf);
            }
            pf_json_append (&buf, "}\n");
        }
        else
            for (index = 0; index < count; index++)
                pf_stats_table (stats [index], labels [index], &buf);
        if (buf.size)
            fwrite (buf.data, 1, buf.size, stdout);
        pf_buf_free (&buf);
        status = fflush (stdout) == 0 ? 0 : 1;
    }
    for (index = 0; index < count; index++)
        pf_stats_destroy (&stats [index]);
    free (stats);
    free (labels);
    zlistx_destroy (&names);
    pf_config_destroy (&config);
    return status;
}
