//  pf_proc_core - the proc's core: an actor thread that owns the store and
//  the delivery bookkeeping, so that every decision and its durable record
//  happen in one place, and the socket loop never waits on the disk.
//
//  Each turn takes whatever the socket loop has relayed, applies it inside
//  one transaction (accepts, DONEs, hand-offs, deliveries with their
//  attempt counts), commits once, and only then sends what the turn
//  decided: verdicts, deliveries, hand-offs. A failed commit answers the
//  edges BUSY and rebuilds the bookkeeping from the database.
//
//  The edges' hand-offs do not pass the socket loop: once it has bound the
//  endpoint ROUTER it hands the socket over, and the core reads MSGS from
//  it and sends each turn's VERDICTS on it after the commit.
//
//  Pipe, socket loop -> core:              core -> socket loop:
//    "ENDPOINT" socket (pointer, once)
//    "WORKER" routing-id frames...           "WORKER" routing-id frames...
//    "RETRY" command body                    "RETRY" command body
//    "GONE" routing-id (worker disconnected)
//    "FLUSH"                                 "FLUSHED" (all earlier work sent)

#ifndef PF_PROC_CORE_H_INCLUDED
#define PF_PROC_CORE_H_INCLUDED

typedef struct {
    const char *name;           //  proc name
    const char *db_path;
    bool sync_full;
    bool strict;                //  ordering = strict
    bool has_retry;             //  a retry node is configured
    int64_t window_s;           //  dedupe window
    int64_t max_pending;
    int64_t open_in_memory;     //  open messages kept in the bookkeeping at most
    int64_t delivery_timeout;   //  ms
    int64_t heartbeat_timeout;  //  ms
    int64_t backlog_alert;      //  open messages; 0: no alert
    int64_t p99_alert;          //  ms of end-to-end p99; 0: no alert
    int64_t alert_window;       //  ms over which the p99 is taken
} pf_proc_core_args_t;

//  zactor_new (pf_proc_core, &args); then pf_node_wait_ready.
void
    pf_proc_core (zsock_t *pipe, void *args);

#endif
