//  cmd_top - `pushfabric top [NODE...] [--interval MS] [--count N]`: a live
//  view of the fabric. Each refresh asks every node for STATS (pf_control,
//  one node after the other, each within min (interval, 1 s), so that a dead
//  node shows "down" instead of stalling the view), and shows rates from the
//  counters' change since the node's previous answer, gauges, and latency
//  p99s over the same span, for each node and for the fabric. On a terminal
//  it redraws the screen in place; otherwise it prints key=value lines, the
//  format documented in pushfabric-top(1). Runs in the main thread only.

#include "cmd.h"
#include <math.h>

static const char *s_usage =
    "usage: pushfabric top [NODE...] [--interval MS] [--count N] [-c FILE] [-v]\n"
    "\n"
    "Shows the fabric live: for each NODE (default: every node of the config) and\n"
    "for the fabric as a whole, messages per second, backlog, latency p99s, dead\n"
    "letters and whether the node answers, asked for over the control endpoints\n"
    "every MS milliseconds. On a terminal it redraws the screen until interrupted;\n"
    "otherwise it prints one key=value line for the fabric and one per node at\n"
    "each refresh. A node that does not answer is shown down; an unknown node\n"
    "makes it exit 1.\n"
    "\n"
    "options:\n"
    "  --interval MS       milliseconds between refreshes, 100 to 3600000 (default 1000)\n"
    "  --count N           stop after N refreshes (default: until interrupted)\n"
    "  -c, --config FILE   fabric configuration (default $PUSHFABRIC_CONFIG, else ./fabric.cfg)\n"
    "  -v, --verbose       log at debug level (says why a node is down)\n"
    "  -h, --help          print this help\n";

#define S_INTERVAL_DEFAULT  1000
//  The longest wait for one node's answer
#define S_TIMEOUT_MAX       1000
#define S_CLEAR_SCREEN      "\033[H\033[2J"

//  What a field of a line is
typedef enum {
    S_COUNTER,                  //  since the node's start
    S_RATE,                     //  the counter's change per second
    S_GAUGE,
    S_P99                       //  of the samples since the previous answer, us
} s_kind_t;

//  The fields of a line, in the order of the plain lines
static const struct {
    s_kind_t kind;
    int which;                  //  a pf_stats_counter_t, _gauge_t or _latency_t
    const char *key;            //  in the plain lines
    const char *column;         //  on a terminal; NULL: plain lines only
} s_fields [] = {
    { S_COUNTER, PF_STATS_RECEIVED, "received", NULL },
    { S_RATE, PF_STATS_RECEIVED, "received_ps", "recv/s" },
    { S_COUNTER, PF_STATS_ACCEPTED, "accepted", NULL },
    { S_RATE, PF_STATS_ACCEPTED, "accepted_ps", "acc/s" },
    { S_COUNTER, PF_STATS_BUSY, "busy", NULL },
    { S_RATE, PF_STATS_BUSY, "busy_ps", "busy/s" },
    { S_COUNTER, PF_STATS_DELIVERED, "delivered", NULL },
    { S_RATE, PF_STATS_DELIVERED, "delivered_ps", "deliv/s" },
    { S_COUNTER, PF_STATS_DONE, "done", NULL },
    { S_RATE, PF_STATS_DONE, "done_ps", "done/s" },
    { S_COUNTER, PF_STATS_FAILED, "failed", NULL },
    { S_RATE, PF_STATS_FAILED, "failed_ps", "fail/s" },
    { S_COUNTER, PF_STATS_DEAD_LETTERED, "dead_lettered", NULL },
    { S_RATE, PF_STATS_DEAD_LETTERED, "dead_lettered_ps", "dlq/s" },
    { S_GAUGE, PF_STATS_CLIENTS, "clients", "clients" },
    { S_GAUGE, PF_STATS_WORKERS, "workers", "workers" },
    { S_GAUGE, PF_STATS_PENDING, "pending", "pending" },
    { S_GAUGE, PF_STATS_INFLIGHT, "inflight", "inflight" },
    { S_GAUGE, PF_STATS_RETRYING, "retrying", "retrying" },
    { S_GAUGE, PF_STATS_DEAD_LETTERS, "dead_letters", "dlq" },
    { S_P99, PF_STATS_ACCEPT_US, "accept_p99_us", "acc_p99" },
    { S_P99, PF_STATS_E2E_US, "e2e_p99_us", "e2e_p99" },
};
#define S_FIELDS (sizeof s_fields / sizeof s_fields [0])

//  Where a fabric total counts an event: at the first of these roles in
//  the view that has the counter (pushes at the edges, or at the procs
//  when no edge is shown)
static const char *s_roles [] = { "edge", "proc", "retry" };

//  One node of the view
typedef struct {
    const char *name;           //  borrowed from argv or the config
    const char *role;           //  borrowed from the config
    pf_stats_t *stats;          //  the last answer; NULL while down
    pf_stats_t *previous;       //  the answer before it; NULL if none
    int64_t answered;           //  zclock_mono () of the last answer
    int64_t previous_answered;  //  and of the one before
    double row [S_FIELDS];      //  this refresh's numbers, NAN: not known
} s_node_t;

typedef struct {
    pf_config_t *config;
    s_node_t *nodes;
    size_t count;               //  nodes in the view
    size_t up;                  //  of them, those that answered this refresh
    int interval;               //  ms between refreshes
    bool terminal;              //  stdout is a terminal: redraw in place
    uint64_t refreshes;         //  made so far
    pf_hist_t *delta;           //  scratch: a node's samples since its previous answer
    pf_hist_t *total [PF_STATS_LATENCIES];  //  every node's, this refresh
    double row [S_FIELDS];      //  the fabric's numbers
    pf_buf_t out;               //  one refresh's output, written at once
} s_top_t;

//  ---- The view's nodes ------------------------------------------------------------

//  Add a node, or exit 1 when it cannot be asked at all (a node that merely
//  does not answer is shown down instead).
static void
s_add_node (s_top_t *self, const char *name)
{
    const char *role = pf_config_role_of (self->config, name);
    if (!role)
        cmd_fatal ("%s: no node named '%s'", pf_config_path (self->config), name);
    char key [256];
    snprintf (key, sizeof key, "%s/%s/control", role, name);
    if (!*pf_config_str (self->config, key))
        cmd_fatal ("%s: %s '%s' has no control endpoint", pf_config_path (self->config),
                   role, name);
    char *error = NULL;
    zcert_t *cert = pf_keys_node (self->config, name, &error);
    if (!cert)
        cmd_fatal ("%s", error);
    zcert_destroy (&cert);
    s_node_t *node = &self->nodes [self->count++];
    node->name = name;
    node->role = role;
}

//  The nodes named in argv [first..argc-1], else every node of the config
static void
s_add_nodes (s_top_t *self, int first, int argc, char **argv)
{
    size_t count = argc > first ? (size_t) (argc - first) : 0;
    for (size_t role = 0; role < 3 && argc <= first; role++)
        count += zlistx_size (pf_config_nodes (self->config, s_roles [role]));
    self->nodes = (s_node_t *) calloc (count ? count : 1, sizeof (s_node_t));
    assert (self->nodes);
    for (int index = first; index < argc; index++)
        s_add_node (self, argv [index]);
    for (size_t role = 0; role < 3 && argc <= first; role++) {
        zlistx_t *names = pf_config_nodes (self->config, s_roles [role]);
        for (const char *name = (const char *) zlistx_first (names); name;
             name = (const char *) zlistx_next (names))
            s_add_node (self, name);
    }
    char *error = NULL;
    zcert_t *cert = pf_keys_secret (self->config, "admin", &error);
    if (!cert)
        cmd_fatal ("%s", error);
    zcert_destroy (&cert);
}

//  ---- Asking ----------------------------------------------------------------------

//  Ask one node for its stats; keeps the answer before for the rates. A node
//  that does not answer, or answers nonsense, is down until it answers again.
static void
s_ask (s_top_t *self, s_node_t *node, int timeout)
{
    char *error = NULL;
    zmsg_t *reply = pf_control_call (self->config, node->name, "admin", timeout, &error,
                                     "STATS", NULL);
    zframe_t *frame = reply ? zmsg_first (reply) : NULL;
    pf_stats_t *stats = frame ? pf_stats_decode (zframe_data (frame), zframe_size (frame))
                              : NULL;
    if (reply && !stats)
        error = zsys_sprintf ("node '%s' sent malformed stats", node->name);
    zmsg_destroy (&reply);
    pf_stats_destroy (&node->previous);
    node->previous = node->stats;
    node->previous_answered = node->answered;
    node->stats = stats;
    node->answered = zclock_mono ();
    if (!stats) {
        pf_debug ("top: shown down: %s", error);
        pf_stats_destroy (&node->previous);
    }
    free (error);
}

//  True when the node's counters went back since its previous answer: it
//  restarted in between, so they say nothing about the span.
static bool
s_restarted (const s_node_t *node)
{
    for (int counter = 0; counter < PF_STATS_COUNTERS; counter++)
        if (pf_stats_counter_value (node->stats, counter)
          < pf_stats_counter_value (node->previous, counter))
            return true;
    for (int latency = 0; latency < PF_STATS_LATENCIES; latency++)
        if (pf_hist_count (pf_stats_hist (node->stats, latency))
          < pf_hist_count (pf_stats_hist (node->previous, latency)))
            return true;
    return false;
}

//  Put the samples of now that are not in before into delta.
static void
s_hist_delta (pf_hist_t *delta, const pf_hist_t *now, const pf_hist_t *before)
{
    pf_hist_reset (delta);
    for (size_t bucket = 0; bucket < pf_hist_buckets (); bucket++) {
        int64_t lowest, highest;
        uint64_t samples = pf_hist_bucket (now, bucket, &lowest, &highest);
        uint64_t earlier = pf_hist_bucket (before, bucket, NULL, NULL);
        if (samples > earlier)
            pf_hist_record_n (delta, lowest, samples - earlier);
    }
}

//  One field of an answering node, NAN when it has no value this refresh;
//  adds the node's latency samples since its previous answer to the total.
static double
s_node_field (s_top_t *self, const s_node_t *node, size_t field, bool spanned)
{
    int which = s_fields [field].which;
    switch (s_fields [field].kind) {
        case S_COUNTER:
            return pf_stats_role_has_counter (node->role, which)
                 ? (double) pf_stats_counter_value (node->stats, which) : NAN;
        case S_RATE:
            if (!spanned || !pf_stats_role_has_counter (node->role, which))
                return NAN;
            return (double) (pf_stats_counter_value (node->stats, which)
                           - pf_stats_counter_value (node->previous, which)) * 1000.0
                 / (double) (node->answered - node->previous_answered);
        case S_GAUGE:
            return pf_stats_role_has_gauge (node->role, which)
                 ? (double) pf_stats_gauge_value (node->stats, which) : NAN;
        case S_P99:
            if (!spanned || !pf_stats_role_has_latency (node->role, which))
                return NAN;
            s_hist_delta (self->delta, pf_stats_hist (node->stats, which),
                          pf_stats_hist (node->previous, which));
            pf_hist_merge (self->total [which], self->delta);
            return pf_hist_count (self->delta)
                 ? (double) pf_hist_percentile (self->delta, 99) : NAN;
    }
    return NAN;
}

static void
s_node_row (s_top_t *self, s_node_t *node)
{
    bool spanned = node->stats && node->previous
                && node->answered > node->previous_answered && !s_restarted (node);
    for (size_t field = 0; field < S_FIELDS; field++)
        node->row [field] = node->stats ? s_node_field (self, node, field, spanned) : NAN;
}

//  The role whose nodes count a counter for the fabric, or NULL
static const char *
s_total_role (const s_top_t *self, int counter)
{
    for (size_t role = 0; role < 3; role++)
        for (size_t index = 0; index < self->count; index++)
            if (streq (self->nodes [index].role, s_roles [role])
            &&  pf_stats_role_has_counter (s_roles [role], counter))
                return s_roles [role];
    return NULL;
}

//  The fabric's numbers: sums over the nodes that answered, p99s over all
//  their samples since their previous answers.
static void
s_total_row (s_top_t *self)
{
    for (size_t field = 0; field < S_FIELDS; field++) {
        int which = s_fields [field].which;
        double sum = NAN;
        if (s_fields [field].kind == S_P99) {
            if (pf_hist_count (self->total [which]))
                sum = (double) pf_hist_percentile (self->total [which], 99);
        }
        else {
            const char *role = s_fields [field].kind == S_GAUGE ? NULL
                             : s_total_role (self, which);
            for (size_t index = 0; index < self->count; index++) {
                const s_node_t *node = &self->nodes [index];
                if ((role && !streq (node->role, role)) || isnan (node->row [field]))
                    continue;
                sum = isnan (sum) ? node->row [field] : sum + node->row [field];
            }
        }
        self->row [field] = sum;
    }
}

static void
s_poll (s_top_t *self)
{
    int timeout = self->interval < S_TIMEOUT_MAX ? self->interval : S_TIMEOUT_MAX;
    for (size_t latency = 0; latency < PF_STATS_LATENCIES; latency++)
        pf_hist_reset (self->total [latency]);
    self->up = 0;
    for (size_t index = 0; index < self->count && !zsys_interrupted; index++) {
        s_ask (self, &self->nodes [index], timeout);
        s_node_row (self, &self->nodes [index]);
        self->up += self->nodes [index].stats != NULL;
    }
    s_total_row (self);
}

//  ---- Rendering --------------------------------------------------------------------

//  "2026-11-27T10:00:00.123Z", or with local, "10:00:00"
static void
s_time (char *text, size_t size, bool local)
{
    int64_t now = zclock_time ();
    time_t seconds = (time_t) (now / 1000);
    struct tm parts;
    if (local) {
        localtime_r (&seconds, &parts);
        strftime (text, size, "%H:%M:%S", &parts);
    }
    else {
        gmtime_r (&seconds, &parts);
        size_t used = strftime (text, size, "%Y-%m-%dT%H:%M:%S", &parts);
        snprintf (text + used, size - used, ".%03dZ", (int) (now % 1000));
    }
}

//  A value as its field shows it: "-" when not known, rates with one
//  decimal, the rest whole
static void
s_value (char *text, size_t size, size_t field, double value)
{
    if (isnan (value))
        snprintf (text, size, "-");
    else
        snprintf (text, size, "%.*f", s_fields [field].kind == S_RATE ? 1 : 0, value);
}

static void
s_plain_line (s_top_t *self, const char *time, const char *head, const double *row)
{
    pf_json_append (&self->out, "time=%s refresh=%" PRIu64 " %s", time, self->refreshes,
                    head);
    for (size_t field = 0; field < S_FIELDS; field++) {
        char value [32];
        s_value (value, sizeof value, field, row [field]);
        pf_json_append (&self->out, " %s=%s", s_fields [field].key, value);
    }
    pf_json_append (&self->out, "\n");
}

static void
s_render_plain (s_top_t *self)
{
    char time [32], head [256];
    s_time (time, sizeof time, false);
    snprintf (head, sizeof head, "node=* role=fabric nodes=%zu up=%zu", self->count,
              self->up);
    s_plain_line (self, time, head, self->row);
    for (size_t index = 0; index < self->count; index++) {
        const s_node_t *node = &self->nodes [index];
        snprintf (head, sizeof head, "node=%s role=%s state=%s", node->name, node->role,
                  node->stats ? "up" : "down");
        s_plain_line (self, time, head, node->row);
    }
}

//  A latency as a person reads it: 850us, 12.3ms, 1.25s
static void
s_duration (char *text, size_t size, double us)
{
    if (isnan (us))
        snprintf (text, size, "-");
    else
    if (us < 1000)
        snprintf (text, size, "%.0fus", us);
    else
    if (us < 1000000)
        snprintf (text, size, "%.1fms", us / 1000);
    else
        snprintf (text, size, "%.2fs", us / 1000000);
}

static int
s_width (size_t field)
{
    int width = (int) strlen (s_fields [field].column) + 1;
    return width < 8 ? 8 : width;
}

//  Whether a field is shown on a terminal, in the block of rates or the other
static bool
s_in_block (size_t field, bool rates)
{
    return s_fields [field].column && (s_fields [field].kind == S_RATE) == rates;
}

static void
s_terminal_line (s_top_t *self, int name_width, const char *name, const char *role,
                 const char *state, const double *row, bool rates)
{
    pf_json_append (&self->out, "%-*s %-5s %-5s", name_width, name, role, state);
    for (size_t field = 0; field < S_FIELDS; field++)
        if (s_in_block (field, rates)) {
            char value [32];
            if (s_fields [field].kind == S_P99)
                s_duration (value, sizeof value, row [field]);
            else
                s_value (value, sizeof value, field, row [field]);
            pf_json_append (&self->out, "%*s", s_width (field), value);
        }
    pf_json_append (&self->out, "\n");
}

//  One block of the screen, the rates or the gauges and p99s: a heading, a
//  line for the fabric, then one per node
static void
s_terminal_block (s_top_t *self, int name_width, bool rates)
{
    pf_json_append (&self->out, "\n%-*s %-5s %-5s", name_width, "NODE", "ROLE", "STATE");
    for (size_t field = 0; field < S_FIELDS; field++)
        if (s_in_block (field, rates))
            pf_json_append (&self->out, "%*s", s_width (field), s_fields [field].column);
    pf_json_append (&self->out, "\n");
    char state [32];
    snprintf (state, sizeof state, "%zu/%zu", self->up, self->count);
    s_terminal_line (self, name_width, "fabric", "all", state, self->row, rates);
    for (size_t index = 0; index < self->count; index++) {
        const s_node_t *node = &self->nodes [index];
        s_terminal_line (self, name_width, node->name, node->role,
                         node->stats ? "up" : "DOWN", node->row, rates);
    }
}

static void
s_render_terminal (s_top_t *self)
{
    char time [32];
    s_time (time, sizeof time, true);
    int name_width = 6;
    for (size_t index = 0; index < self->count; index++)
        if ((int) strlen (self->nodes [index].name) > name_width)
            name_width = (int) strlen (self->nodes [index].name);
    pf_json_append (&self->out, S_CLEAR_SCREEN "pushfabric top - %s - every %d ms - "
                    "%zu of %zu nodes up - Ctrl-C quits\n", time, self->interval, self->up,
                    self->count);
    s_terminal_block (self, name_width, true);
    s_terminal_block (self, name_width, false);
}

//  ---- Main --------------------------------------------------------------------------

//  Sleep until the monotonic time until, waking for a signal.
static void
s_sleep_until (int64_t until)
{
    int64_t now;
    while (!zsys_interrupted && (now = zclock_mono ()) < until)
        zclock_sleep ((int) (until - now < 100 ? until - now : 100));
}

//  One refresh: ask, render, write. Returns 0, or -1 when stdout failed.
static int
s_refresh (s_top_t *self)
{
    //  The first refresh makes the first socket, which starts libzmq's
    //  threads: they begin with SIGINT and SIGTERM blocked, so only this
    //  thread takes them
    sigset_t signals, previous;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    if (self->refreshes == 0)
        pthread_sigmask (SIG_BLOCK, &signals, &previous);
    s_poll (self);
    if (self->refreshes == 0)
        pthread_sigmask (SIG_SETMASK, &previous, NULL);
    if (zsys_interrupted)
        return 0;
    self->refreshes++;
    pf_buf_reset (&self->out);
    if (self->terminal)
        s_render_terminal (self);
    else
        s_render_plain (self);
    if (fwrite (self->out.data, 1, self->out.size, stdout) != self->out.size
    ||  fflush (stdout) != 0)
        return -1;
    return 0;
}

int
cmd_top (int argc, char **argv)
{
    static struct option options [] = {
        { "interval", required_argument, NULL, 'i' },
        { "count", required_argument, NULL, 'n' },
        CMD_COMMON_LONG,
        { NULL, 0, NULL, 0 }
    };
    const char *config_path = NULL;
    s_top_t self = { .interval = S_INTERVAL_DEFAULT };
    long long count = 0;
    int option;
    while ((option = getopt_long (argc, argv, CMD_COMMON_SHORT, options, NULL)) != -1) {
        if (option == 'i')
            self.interval = (int) cmd_number (s_usage, "--interval", optarg, 100, 3600000);
        else
        if (option == 'n')
            count = cmd_number (s_usage, "--count", optarg, 1, 1000000000);
        else
        if (!cmd_common_option (option, s_usage, &config_path))
            cmd_usage_error (s_usage, "unknown option");
    }
    self.config = cmd_load_config (cmd_config_path (config_path));
    s_add_nodes (&self, optind, argc, argv);
    self.terminal = isatty (STDOUT_FILENO);
    self.delta = pf_hist_new ();
    for (size_t latency = 0; latency < PF_STATS_LATENCIES; latency++)
        self.total [latency] = pf_hist_new ();
    zsys_catch_interrupts ();

    int status = 0;
    int64_t next = zclock_mono ();
    while (!zsys_interrupted && (!count || self.refreshes < (uint64_t) count)) {
        s_sleep_until (next);
        if (zsys_interrupted)
            break;
        next += self.interval;
        if (s_refresh (&self) == -1) {
            fprintf (stderr, "pushfabric: cannot write the view: %s\n", strerror (errno));
            status = 1;
            break;
        }
        //  Behind (slow nodes): the next refresh now, not a burst of them
        if (next < zclock_mono ())
            next = zclock_mono ();
    }
    for (size_t index = 0; index < self.count; index++) {
        pf_stats_destroy (&self.nodes [index].stats);
        pf_stats_destroy (&self.nodes [index].previous);
    }
    free (self.nodes);
    pf_hist_destroy (&self.delta);
    for (size_t latency = 0; latency < PF_STATS_LATENCIES; latency++)
        pf_hist_destroy (&self.total [latency]);
    pf_buf_free (&self.out);
    pf_config_destroy (&self.config);
    return status;
}
