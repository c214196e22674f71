//  pf_stats - one thread's counters, gauges and latency histograms for the
//  control endpoint's STATS command, and their renderings (JSON, the
//  Prometheus text format, a table).
//
//  Each thread that counts owns its own pf_stats_t and counts without a
//  lock or an allocation. A STATS request is answered by the thread that
//  counts: the edge's socket loop itself; for a proc or the retry node, the
//  socket loop relays the request to the core actor, which answers it
//  between turns (so the socket loop never waits). A node whose counts
//  were spread over several threads would hand copies (pf_stats_dup) to
//  one and merge them (pf_stats_merge). The reply carries the encoding
//  (pf_stats_encode, documented in pushfabric-protocol(7)), which the CLI
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
    PF_STATS_BACKLOG_ALERTS,    //  times a proc's backlog-alert was raised
    PF_STATS_P99_ALERTS,        //  times a proc's p99-alert was raised
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
    PF_STATS_BACKLOG_ALERT,     //  1 while the backlog alert is raised
    PF_STATS_P99_ALERT,         //  1 while the p99 alert is raised
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

//  Whether a node of role ("edge", "proc" or "retry") has the counter, the
//  gauge or the latency, i.e. whether the renderings show it for that node
//  (for views that show several roles side by side, like `top`). False for
//  another role.
bool
    pf_stats_role_has_counter (const char *role, pf_stats_counter_t counter);
bool
    pf_stats_role_has_gauge (const char *role, pf_stats_gauge_t gauge);
bool
    pf_stats_role_has_latency (const char *role, pf_stats_latency_t latency);

//  Add other's counters and histograms to self; other's gauges replace
//  self's where other has set them.
void
    pf_stats_merge (pf_stats_t *self, const pf_stats_t *other);

//  Bytes of the SQLite database at path with its WAL file; 0 if missing.
int64_t
    pf_stats_db_bytes (const char *path);

//  Append the encoding (for the STATS reply) to buf; decode one, or NULL
//  when the bytes are not one.
void
    pf_stats_encode (const pf_stats_t *self, pf_buf_t *buf);
pf_stats_t *
    pf_stats_decode (const void *data, size_t size);

//  Answer a control request (a message received on the control ROUTER,
//  taken) for a node that serves only PING and STATS: PING is answered OK
//  "PONG", STATS OK with the encoding of stats, anything else ERROR.
//  Returns the reply to send on the ROUTER, or NULL for a message that is
//  not even a request.
zmsg_t *
    pf_stats_control (zmsg_t **msg_p, const pf_stats_t *stats);

//  The reply OK with the encoding of stats. Destroys the request.
zmsg_t *
    pf_stats_reply (pf_control_request_t **request_p, const pf_stats_t *stats);

//  Append "NODE": {"role": ..., "counters": {...}, "gauges": {...},
//  "latency": {"accept_us": {"count":, "p50":, ...}, ...}} to buf.
void
    pf_stats_json (const pf_stats_t *self, const char *node, pf_buf_t *buf);

//  Append the Prometheus text exposition of the node to buf: metrics
//  pushfabric_NAME_total (counters), pushfabric_NAME (gauges),
//  pushfabric_NAME (histograms: _bucket{le=...}, _sum, _count), each sample
//  labelled node and role, for count nodes with their names; each metric
//  once, with its # HELP and # TYPE lines, then a sample per node. The
//  histogram buckets are cumulative at fixed bounds (100 us to 10 s);
//  since the bounds fall inside pf_hist buckets, a count is exact to one
//  pf_hist bucket (3 %).
void
    pf_stats_prometheus (pf_stats_t **nodes, const char **names, size_t count,
                         pf_buf_t *buf);

//  Append a readable block for the node to buf.
void
    pf_stats_table (const pf_stats_t *self, const char *node, pf_buf_t *buf);

#endif
