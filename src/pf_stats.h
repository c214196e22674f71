//  pf_stats - one thread's counters, gauges and latency histograms for the
//  control endpoint's STATS command, and their renderings (JSON, the
//  Prometheus text format, a table).
//
//  Each thread that counts owns its own pf_stats_t and counts without a
//  lock or an allocation; to report, a thread hands a copy (pf_stats_dup)
//  to the socket loop, which merges the parts (pf_stats_merge). A STATS
//  reply carries the merged object encoded (pf_stats_encode), which the CLI
//  decodes and renders.

#ifndef PF_STATS_H_INCLUDED
#define PF_STATS_H_INCLUDED

//  Counters, in the order they are rendered
typedef enum {
    PF_STATS_RECEIVED = 0,
    PF_STATS_ACCEPTED,
    PF_STATS_DUPLICATES,
    PF_STATS_NACK_MALFORMED,    //  then one per pf_reason_t, in its order
    PF_STATS_NACK_BAD_ID,
    PF_STATS_NACK_BAD_TOPIC,
    PF_STATS_NACK_BAD_KEY,
    PF_STATS_NACK_TOO_LARGE,
    PF_STATS_NACK_FORBIDDEN,
    PF_STATS_BUSY,
    PF_STATS_DELIVERED,
    PF_STATS_DONE,
    PF_STATS_FAILED,
    PF_STATS_RETRIED,
    PF_STATS_DEAD_LETTERED,
    PF_STATS_REPLAYED,
    PF_STATS_COUNTERS
} pf_stats_counter_t;

//  Gauges
typedef enum {
    PF_STATS_CLIENTS = 0,
    PF_STATS_WORKERS,
    PF_STATS_PENDING,
    PF_STATS_INFLIGHT,
    PF_STATS_RETRYING,
    PF_STATS_DEAD_LETTERS,
    PF_STATS_DB_BYTES,
    PF_STATS_GAUGES
} pf_stats_gauge_t;

//  Latency histograms, in microseconds
typedef enum {
    PF_STATS_ACCEPT_US = 0,     //  edge: push received to verdict sent
    PF_STATS_E2E_US,            //  proc: accepted to DONE
    PF_STATS_LATENCIES
} pf_stats_latency_t;

typedef struct _pf_stats_t pf_stats_t;

//  New, all zero, for a node of role "edge", "proc" or "retry" (which
//  decides what is rendered). Returns NULL for another role.
pf_stats_t *
    pf_stats_new (const char *role);

void
    pf_stats_destroy (pf_stats_t **self_p);

//  A copy, to hand to another thread.
pf_stats_t *
    pf_stats_dup (const pf_stats_t *self);

const char *
    pf_stats_role (const pf_stats_t *self);

//  Add to a counter; set a gauge; record a latency sample.
void
    pf_stats_count (pf_stats_t *self, pf_stats_counter_t counter, uint64_t amount);
void
    pf_stats_gauge (pf_stats_t *self, pf_stats_gauge_t gauge, int64_t value);
void
    pf_stats_latency (pf_stats_t *self, pf_stats_latency_t latency, int64_t us);

uint64_t
    pf_stats_counter_value (const pf_stats_t *self, pf_stats_counter_t counter);
int64_t
    pf_stats_gauge_value (const pf_stats_t *self, pf_stats_gauge_t gauge);
const pf_hist_t *
    pf_stats_hist (const pf_stats_t *self, pf_stats_latency_t latency);

//  Add other's counters and histograms to self; other's gauges replace
//  self's where other has set them.
void
    pf_stats_merge (pf_stats_t *self, const pf_stats_t *other);

//  Append the encoding (for the STATS reply) to buf; decode one, or NULL
//  when the bytes are not one.
void
    pf_stats_encode (const pf_stats_t *self, pf_buf_t *buf);
pf_stats_t *
    pf_stats_decode (const void *data, size_t size);

//  Append "NODE": {"role": ..., "counters": {...}, "gauges": {...},
//  "latency": {"accept_us": {"count":, "p50":, ...}, ...}} to buf.
void
    pf_stats_json (const pf_stats_t *self, const char *node, pf_buf_t *buf);

//  Append the Prometheus text exposition of the node to buf: metrics
//  pushfabric_NAME_total (counters), pushfabric_NAME (gauges),
//  pushfabric_NAME (histograms: _bucket{le=...}, _sum, _count), each sample
//  labelled node and role. With header, the # HELP and # TYPE lines too
//  (once per metric when several nodes are rendered one after another:
//  pass header for the first node only... see pf_stats_prometheus_all).
void
    pf_stats_prometheus (pf_stats_t **nodes, const char **names, size_t count,
                         pf_buf_t *buf);

//  Append a readable block for the node to buf.
void
    pf_stats_table (const pf_stats_t *self, const char *node, pf_buf_t *buf);

#endif
