//  pf_stats - per-thread counters, gauges and latency histograms, their
//  encoding for the STATS reply, and their renderings.

#include "pf_classes.h"

#define S_EDGE      1
#define S_PROC      2
#define S_RETRY     4

typedef struct {
    const char *name;           //  as rendered
    const char *help;           //  one line for # HELP
    int roles;                  //  S_EDGE | S_PROC | S_RETRY: where rendered
} s_meta_t;

static const s_meta_t s_counters [PF_STATS_COUNTERS] = {
    { "received", "Messages received", S_EDGE | S_PROC },
    { "accepted", "Messages accepted (committed, answered ACK)", S_EDGE | S_PROC },
    { "duplicates", "Messages answered DUP", S_EDGE | S_PROC },
    { "nack_malformed", "Pushes answered NACK MALFORMED", S_EDGE },
    { "nack_bad_id", "Pushes answered NACK BAD_ID", S_EDGE },
    { "nack_bad_topic", "Pushes answered NACK BAD_TOPIC", S_EDGE },
    { "nack_bad_key", "Pushes answered NACK BAD_KEY", S_EDGE },
    { "nack_too_large", "Pushes answered NACK TOO_LARGE", S_EDGE },
    { "nack_forbidden", "Pushes answered NACK FORBIDDEN", S_EDGE },
    { "busy", "Pushes answered BUSY", S_EDGE | S_PROC },
    { "delivered", "Deliveries made to workers", S_PROC },
    { "done", "Deliveries answered DONE", S_PROC },
    { "failed", "Deliveries failed (FAIL, timeout, lost worker)", S_PROC },
    { "retried", "Failed messages scheduled for another attempt", S_RETRY },
    { "dead_lettered", "Messages moved to the dead-letter store", S_RETRY },
    { "replayed", "Dead letters replayed", S_RETRY },
    { "backlog_alerts", "Times the backlog alert was raised", S_PROC },
    { "p99_alerts", "Times the end-to-end p99 alert was raised", S_PROC },
};

static const s_meta_t s_gauges [PF_STATS_GAUGES] = {
    { "clients", "Connected clients", S_EDGE },
    { "workers", "Connected workers", S_PROC },
    { "pending", "Accepted messages not yet done or dead", S_PROC },
    { "inflight", "Deliveries waiting for an answer", S_PROC },
    { "retrying", "Messages waiting for their next attempt", S_RETRY },
    { "dead_letters", "Messages in the dead-letter store", S_RETRY },
    { "db_bytes", "Size of the database file", S_PROC | S_RETRY },
    { "backlog_alert", "1 while the backlog alert is raised", S_PROC },
    { "p99_alert", "1 while the end-to-end p99 alert is raised", S_PROC },
};

static const s_meta_t s_latencies [PF_STATS_LATENCIES] = {
    { "accept_us", "Push received to verdict sent, microseconds", S_EDGE },
    { "e2e_us", "Accepted to DONE, microseconds", S_PROC },
};

//  Prometheus bucket bounds, microseconds
static const int64_t s_bounds [] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000
};

struct _pf_stats_t {
    int role;                   //  S_EDGE, S_PROC or S_RETRY
    uint64_t counter [PF_STATS_COUNTERS];
    int64_t gauge [PF_STATS_GAUGES];
    bool gauge_set [PF_STATS_GAUGES];   //  set by this thread
    pf_hist_t *hist [PF_STATS_LATENCIES];
};

static int
s_role_of (const char *role)
{
    return streq (role, "edge") ? S_EDGE : streq (role, "proc") ? S_PROC
         : streq (role, "retry") ? S_RETRY : 0;
}

pf_stats_t *
pf_stats_new (const char *role)
{
    int bit = role ? s_role_of (role) : 0;
    if (!bit)
        return NULL;
    pf_stats_t *self = (pf_stats_t *) zmalloc (sizeof (pf_stats_t));
    self->role = bit;
    for (size_t index = 0; index < PF_STATS_LATENCIES; index++)
        self->hist [index] = pf_hist_new ();
    return self;
}

void
pf_stats_destroy (pf_stats_t **self_p)
{
    pf_stats_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < PF_STATS_LATENCIES; index++)
        pf_hist_destroy (&self->hist [index]);
    free (self);
    *self_p = NULL;
}

pf_stats_t *
pf_stats_dup (const pf_stats_t *self)
{
    pf_stats_t *copy = pf_stats_new (pf_stats_role (self));
    memcpy (copy->counter, self->counter, sizeof self->counter);
    memcpy (copy->gauge, self->gauge, sizeof self->gauge);
    memcpy (copy->gauge_set, self->gauge_set, sizeof self->gauge_set);
    for (size_t index = 0; index < PF_STATS_LATENCIES; index++)
        pf_hist_merge (copy->hist [index], self->hist [index]);
    return copy;
}

const char *
pf_stats_role (const pf_stats_t *self)
{
    return self->role == S_EDGE ? "edge" : self->role == S_PROC ? "proc" : "retry";
}

void
pf_stats_count (pf_stats_t *self, pf_stats_counter_t counter, uint64_t amount)
{
    self->counter [counter] += amount;
}

void
pf_stats_gauge (pf_stats_t *self, pf_stats_gauge_t gauge, int64_t value)
{
    self->gauge [gauge] = value;
    self->gauge_set [gauge] = true;
}

void
pf_stats_latency (pf_stats_t *self, pf_stats_latency_t latency, int64_t us)
{
    pf_hist_record (self->hist [latency], us);
}

uint64_t
pf_stats_counter_value (const pf_stats_t *self, pf_stats_counter_t counter)
{
    return self->counter [counter];
}

int64_t
pf_stats_gauge_value (const pf_stats_t *self, pf_stats_gauge_t gauge)
{
    return self->gauge [gauge];
}

const pf_hist_t *
pf_stats_hist (const pf_stats_t *self, pf_stats_latency_t latency)
{
    return self->hist [latency];
}

bool
pf_stats_role_has_counter (const char *role, pf_stats_counter_t counter)
{
    return role && (s_counters [counter].roles & s_role_of (role));
}

bool
pf_stats_role_has_gauge (const char *role, pf_stats_gauge_t gauge)
{
    return role && (s_gauges [gauge].roles & s_role_of (role));
}

bool
pf_stats_role_has_latency (const char *role, pf_stats_latency_t latency)
{
    return role && (s_latencies [latency].roles & s_role_of (role));
}

void
pf_stats_merge (pf_stats_t *self, const pf_stats_t *other)
{
    for (size_t index = 0; index < PF_STATS_COUNTERS; index++)
        self->counter [index] += other->counter [index];
    for (size_t index = 0; index < PF_STATS_GAUGES; index++)
        if (other->gauge_set [index]) {
            self->gauge [index] = other->gauge [index];
            self->gauge_set [index] = true;
        }
    for (size_t index = 0; index < PF_STATS_LATENCIES; index++)
        pf_hist_merge (self->hist [index], other->hist [index]);
}

int64_t
pf_stats_db_bytes (const char *path)
{
    int64_t bytes = 0;
    struct stat info;
    if (stat (path, &info) == 0)
        bytes += (int64_t) info.st_size;
    char wal [PATH_MAX];
    snprintf (wal, sizeof wal, "%s-wal", path);
    if (stat (wal, &info) == 0)
        bytes += (int64_t) info.st_size;
    return bytes;
}

//  ---- Encoding ----------------------------------------------------------------------
//
//  u8 role, u8 counters, u64 each, u8 gauges, u64 each, u8 histograms, each
//  u32 non-empty buckets, then u32 index, u64 samples per bucket.

void
pf_stats_encode (const pf_stats_t *self, pf_buf_t *buf)
{
    pf_buf_put_u8 (buf, (uint8_t) self->role);
    pf_buf_put_u8 (buf, PF_STATS_COUNTERS);
    for (size_t index = 0; index < PF_STATS_COUNTERS; index++)
        pf_buf_put_u64 (buf, self->counter [index]);
    pf_buf_put_u8 (buf, PF_STATS_GAUGES);
    for (size_t index = 0; index < PF_STATS_GAUGES; index++)
        pf_buf_put_u64 (buf, (uint64_t) self->gauge [index]);
    pf_buf_put_u8 (buf, PF_STATS_LATENCIES);
    for (size_t index = 0; index < PF_STATS_LATENCIES; index++) {
        uint32_t used = 0;
        for (size_t bucket = 0; bucket < pf_hist_buckets (); bucket++)
            if (pf_hist_bucket (self->hist [index], bucket, NULL, NULL))
                used++;
        pf_buf_put_u32 (buf, used);
        for (size_t bucket = 0; bucket < pf_hist_buckets (); bucket++) {
            uint64_t samples = pf_hist_bucket (self->hist [index], bucket, NULL, NULL);
            if (samples) {
                pf_buf_put_u32 (buf, (uint32_t) bucket);
                pf_buf_put_u64 (buf, samples);
            }
        }
    }
}

pf_stats_t *
pf_stats_decode (const void *data, size_t size)
{
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    uint8_t role = 0, count = 0;
    pf_reader_u8 (&reader, &role);
    const char *name = role == S_EDGE ? "edge" : role == S_PROC ? "proc"
                     : role == S_RETRY ? "retry" : NULL;
    pf_stats_t *self = pf_stats_new (name);
    if (!self)
        return NULL;
    if (pf_reader_u8 (&reader, &count) && count == PF_STATS_COUNTERS)
        for (size_t index = 0; index < PF_STATS_COUNTERS; index++)
            pf_reader_u64 (&reader, &self->counter [index]);
    else
        reader.failed = true;
    if (pf_reader_u8 (&reader, &count) && count == PF_STATS_GAUGES)
        for (size_t index = 0; index < PF_STATS_GAUGES; index++) {
            uint64_t value = 0;
            pf_reader_u64 (&reader, &value);
            self->gauge [index] = (int64_t) value;
            self->gauge_set [index] = true;
        }
    else
        reader.failed = true;
    if (pf_reader_u8 (&reader, &count) && count == PF_STATS_LATENCIES)
        for (size_t index = 0; index < PF_STATS_LATENCIES && !reader.failed; index++) {
            uint32_t used = 0;
            pf_reader_u32 (&reader, &used);
            for (uint32_t entry = 0; entry < used && !reader.failed; entry++) {
                uint32_t bucket = 0;
                uint64_t samples = 0;
                int64_t lowest, highest;
                if (pf_reader_u32 (&reader, &bucket) && pf_reader_u64 (&reader, &samples)
                &&  bucket < pf_hist_buckets ()) {
                    pf_hist_bucket (self->hist [index], bucket, &lowest, &highest);
                    pf_hist_record_n (self->hist [index], lowest, samples);
                }
                else
                    reader.failed = true;
            }
        }
    else
        reader.failed = true;
    if (reader.failed || !pf_reader_done (&reader))
        pf_stats_destroy (&self);
    return self;
}

//  ---- Control ----------------------------------------------------------------------

zmsg_t *
pf_stats_reply (pf_control_request_t **request_p, const pf_stats_t *stats)
{
    pf_buf_t buf = { 0 };
    pf_stats_encode (stats, &buf);
    zmsg_t *frames = zmsg_new ();
    zmsg_addmem (frames, buf.data, buf.size);
    pf_buf_free (&buf);
    return pf_control_reply_ok (request_p, &frames);
}

zmsg_t *
pf_stats_control (zmsg_t **msg_p, const pf_stats_t *stats)
{
    pf_control_request_t *request = pf_control_request_new (msg_p);
    if (!request)
        return NULL;
    const char *command = pf_control_request_command (request);
    if (!command)
        return pf_control_reply_error (&request, "malformed request: expected "
                                       PF_CONTROL_VERSION " COMMAND [ARG...]");
    if (streq (command, "PING")) {
        zmsg_t *frames = zmsg_new ();
        zmsg_addstr (frames, "PONG");
        return pf_control_reply_ok (&request, &frames);
    }
    if (streq (command, "STATS"))
        return pf_stats_reply (&request, stats);
    return pf_control_reply_error (&request, "unknown command '%s'", command);
}

//  ---- Renderings --------------------------------------------------------------------

static const double s_percentiles [] = { 50, 90, 99, 99.9 };
static const char *s_percentile_names [] = { "p50", "p90", "p99", "p999" };

void
pf_stats_json (const pf_stats_t *self, const char *node, pf_buf_t *buf)
{
    pf_json_put_string (buf, node, strlen (node));
    pf_json_append (buf, ": {\"role\": \"%s\", \"counters\": {", pf_stats_role (self));
    const char *comma = "";
    for (size_t index = 0; index < PF_STATS_COUNTERS; index++)
        if (s_counters [index].roles & self->role) {
            pf_json_append (buf, "%s\"%s\": %" PRIu64, comma, s_counters [index].name,
                            self->counter [index]);
            comma = ", ";
        }
    pf_json_append (buf, "}, \"gauges\": {");
    comma = "";
    for (size_t index = 0; index < PF_STATS_GAUGES; index++)
        if (s_gauges [index].roles & self->role) {
            pf_json_append (buf, "%s\"%s\": %" PRId64, comma, s_gauges [index].name,
                            self->gauge [index]);
            comma = ", ";
        }
    pf_json_append (buf, "}, \"latency\": {");
    comma = "";
    for (size_t index = 0; index < PF_STATS_LATENCIES; index++)
        if (s_latencies [index].roles & self->role) {
            const pf_hist_t *hist = self->hist [index];
            pf_json_append (buf, "%s\"%s\": {\"count\": %" PRIu64, comma,
                            s_latencies [index].name, pf_hist_count (hist));
            for (size_t rank = 0; rank < 4; rank++)
                pf_json_append (buf, ", \"%s\": %" PRId64, s_percentile_names [rank],
                                pf_hist_percentile (hist, s_percentiles [rank]));
            pf_json_append (buf, "}");
            comma = ", ";
        }
    pf_json_append (buf, "}}");
}

void
pf_stats_prometheus (pf_stats_t **nodes, const char **names, size_t count, pf_buf_t *buf)
{
    for (size_t index = 0; index < PF_STATS_COUNTERS; index++) {
        bool header = false;
        for (size_t node = 0; node < count; node++) {
            if (!(s_counters [index].roles & nodes [node]->role))
                continue;
            if (!header)
                pf_json_append (buf, "# HELP pushfabric_%s_total %s\n"
                                "# TYPE pushfabric_%s_total counter\n",
                                s_counters [index].name, s_counters [index].help,
                                s_counters [index].name);
            header = true;
            pf_json_append (buf, "pushfabric_%s_total{node=\"%s\",role=\"%s\"} %" PRIu64 "\n",
                            s_counters [index].name, names [node],
                            pf_stats_role (nodes [node]), nodes [node]->counter [index]);
        }
    }
    for (size_t index = 0; index < PF_STATS_GAUGES; index++) {
        bool header = false;
        for (size_t node = 0; node < count; node++) {
            if (!(s_gauges [index].roles & nodes [node]->role))
                continue;
            if (!header)
                pf_json_append (buf, "# HELP pushfabric_%s %s\n# TYPE pushfabric_%s gauge\n",
                                s_gauges [index].name, s_gauges [index].help,
                                s_gauges [index].name);
            header = true;
            pf_json_append (buf, "pushfabric_%s{node=\"%s\",role=\"%s\"} %" PRId64 "\n",
                            s_gauges [index].name, names [node],
                            pf_stats_role (nodes [node]), nodes [node]->gauge [index]);
        }
    }
    for (size_t index = 0; index < PF_STATS_LATENCIES; index++) {
        const char *metric = s_latencies [index].name;
        bool header = false;
        for (size_t node = 0; node < count; node++) {
            if (!(s_latencies [index].roles & nodes [node]->role))
                continue;
            if (!header)
                pf_json_append (buf, "# HELP pushfabric_%s %s\n"
                                "# TYPE pushfabric_%s histogram\n",
                                metric, s_latencies [index].help, metric);
            header = true;
            const pf_hist_t *hist = nodes [node]->hist [index];
            const char *role = pf_stats_role (nodes [node]);
            size_t bucket = 0;
            uint64_t below = 0;
            for (size_t bound = 0; bound < sizeof s_bounds / sizeof s_bounds [0]; bound++) {
                int64_t lowest, highest;
                while (bucket < pf_hist_buckets ()) {
                    uint64_t samples = pf_hist_bucket (hist, bucket, &lowest, &highest);
                    if (highest > s_bounds [bound])
                        break;
                    below += samples;
                    bucket++;
                }
                pf_json_append (buf, "pushfabric_%s_bucket{node=\"%s\",role=\"%s\",le=\"%"
                                PRId64 "\"} %" PRIu64 "\n", metric, names [node], role,
                                s_bounds [bound], below);
            }
            uint64_t total = pf_hist_count (hist);
            pf_json_append (buf, "pushfabric_%s_bucket{node=\"%s\",role=\"%s\",le=\"+Inf\"} %"
                            PRIu64 "\n", metric, names [node], role, total);
            pf_json_append (buf, "pushfabric_%s_sum{node=\"%s\",role=\"%s\"} %.0f\n", metric,
                            names [node], role, pf_hist_mean (hist) * (double) total);
            pf_json_append (buf, "pushfabric_%s_count{node=\"%s\",role=\"%s\"} %" PRIu64
                            "\n", metric, names [node], role, total);
        }
    }
}

void
pf_stats_table (const pf_stats_t *self, const char *node, pf_buf_t *buf)
{
    pf_json_append (buf, "%s (%s)\n", node, pf_stats_role (self));
    for (size_t index = 0; index < PF_STATS_COUNTERS; index++)
        if (s_counters [index].roles & self->role)
            pf_json_append (buf, "  %-16s %" PRIu64 "\n", s_counters [index].name,
                            self->counter [index]);
    for (size_t index = 0; index < PF_STATS_GAUGES; index++)
        if (s_gauges [index].roles & self->role)
            pf_json_append (buf, "  %-16s %" PRId64 "\n", s_gauges [index].name,
                            self->gauge [index]);
    for (size_t index = 0; index < PF_STATS_LATENCIES; index++)
        if (s_latencies [index].roles & self->role) {
            const pf_hist_t *hist = self->hist [index];
            pf_json_append (buf, "  %-16s count=%" PRIu64, s_latencies [index].name,
                            pf_hist_count (hist));
            for (size_t rank = 0; rank < 4; rank++)
                pf_json_append (buf, " %s=%" PRId64, s_percentile_names [rank],
                                pf_hist_percentile (hist, s_percentiles [rank]));
            pf_json_append (buf, "\n");
        }
}
