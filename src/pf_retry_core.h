//  pf_retry_core - the retry node's core: an actor thread that owns the
//  store (pf_retry_store) and the schedule (pf_retry_sched), so that every
//  decision and its durable record happen in one place and the socket loop
//  (pf_retry) never waits on the disk.
//
//  Each turn takes whatever the socket loop has relayed, applies the procs'
//  hand-offs inside one transaction (FAILED stored or dead-lettered,
//  REINJECTED and GONE forgotten, a replay's REINJECTED deleting its dead
//  letter), commits once, and only then answers TAKEN. Then it sends what
//  is due: REINJECT of messages whose backoff has run out or whose earlier
//  REINJECT went unanswered, DEAD until GONE, and replays of dead letters
//  (REINJECT with a ticket, PF_LINK_REPLAY | the dead letter's number, in
//  the schedule like any re-injection). Control requests come last, each in
//  its own transaction. A failed commit answers nothing and reloads the
//  schedule from the database (the procs resend).
//
//  Pipe, socket loop -> core:              core -> socket loop:
//    "LINK" proc command body                "LINK" proc command body
//    "UNREACHABLE" proc                      "CONTROL" routing-id frames...
//    "CONTROL" routing-id frames...          "FLUSHED" (all earlier work sent)
//    "FLUSH"
//
//  "UNREACHABLE" tells the core that a send to that proc failed (not
//  connected, or its queue full): the core then tries it with one message
//  every PF_RETRY_PROBE_IVL ms until the proc answers.

#ifndef PF_RETRY_CORE_H_INCLUDED
#define PF_RETRY_CORE_H_INCLUDED

//  A REINJECT or DEAD not answered within this is sent again
#define PF_RETRY_ANSWER_TIMEOUT     3000
//  An unreachable proc is tried with one message this often
#define PF_RETRY_PROBE_IVL          2000
//  REINJECTs (replays included) in flight to one proc at most
#define PF_RETRY_WINDOW             1000

typedef struct {
    const char *name;           //  retry node name
    pf_config_t *config;        //  read-only, shared with the socket loop
    const char *db_path;
    int64_t base_delay;         //  ms
    int64_t max_delay;          //  ms
    uint32_t max_attempts;
} pf_retry_core_args_t;

//  zactor_new (pf_retry_core, &args); then pf_node_wait_ready.
void
    pf_retry_core (zsock_t *pipe, void *args);

//  The backoff after failed attempt n (1, 2, ...), before jitter:
//  min(max_delay, base_delay * 2^(n-1)).
int64_t
    pf_retry_backoff (int64_t base_delay, int64_t max_delay, uint32_t attempt);

//  The backoff less a random jitter of up to 20 % of it.
int64_t
    pf_retry_jittered (int64_t base_delay, int64_t max_delay, uint32_t attempt);

#endif
