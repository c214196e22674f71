//  pf_proc_sched - what a proc knows in memory about delivery: every open
//  message (without its payload), the line of messages of each key, the
//  connected workers with their credit, and what each holds in flight.
//  Pure bookkeeping, no I/O: the proc's core thread asks it what to
//  deliver next and tells it what happened. Owned by that one thread.

#ifndef PF_PROC_SCHED_H_INCLUDED
#define PF_PROC_SCHED_H_INCLUDED

typedef struct _pf_proc_sched_t pf_proc_sched_t;
typedef struct _pf_sched_worker_t pf_sched_worker_t;

//  Where an open message is.
typedef enum {
    PF_SCHED_READY = 0,         //  waiting for a worker
    PF_SCHED_INFLIGHT,          //  delivered, waiting for DONE or FAIL
    PF_SCHED_HANDOFF,           //  failed, being handed to the retry node
    PF_SCHED_RETRYING           //  held by the retry node
} pf_sched_state_t;

//  An open message. Fields are read-only outside pf_proc_sched, except
//  accepted_at, which is the core's to set.
typedef struct {
    uint64_t seq;               //  row in the store
    uint32_t partition;
    uint32_t attempts;          //  deliveries made so far
    pf_sched_state_t state;
    const char *id;             //  NUL-terminated
    const char *topic;          //  NUL-terminated
    const byte *key;
    size_t key_size;
    pf_sched_worker_t *worker;  //  INFLIGHT: who holds it
    int64_t deadline;           //  INFLIGHT: delivery-timeout; HANDOFF: resend time
    int64_t accepted_at;        //  monotonic us when accepted here; 0 if unknown
                                //  (loaded at start-up, re-injected)
} pf_sched_msg_t;

//  strict: a failing message holds back the later messages of its key.
pf_proc_sched_t *
    pf_proc_sched_new (bool strict);

void
    pf_proc_sched_destroy (pf_proc_sched_t **self_p);

//  Add an open message (accepted, loaded at start-up, or re-injected) at
//  the end of its key's line. Copies the strings. A HANDOFF or RETRYING
//  message holds its line in strict mode and is left out of it in relaxed.
pf_sched_msg_t *
    pf_proc_sched_add (pf_proc_sched_t *self, uint64_t seq, uint32_t partition,
                       uint32_t attempts, pf_sched_state_t state, const char *id,
                       const char *topic, const byte *key, size_t key_size);

pf_sched_msg_t *
    pf_proc_sched_find (pf_proc_sched_t *self, uint64_t seq);

//  Forget every message but keep the workers (their credit all free), to
//  load the messages again from the store after a failed commit.
void
    pf_proc_sched_forget_messages (pf_proc_sched_t *self);

//  Forget a message that is done or dead; its line moves on.
void
    pf_proc_sched_remove (pf_proc_sched_t *self, pf_sched_msg_t *msg);

//  A delivery failed (FAIL, timeout, lost worker): the message is being
//  handed to the retry node. In relaxed mode its line moves on.
void
    pf_proc_sched_handoff (pf_proc_sched_t *self, pf_sched_msg_t *msg, int64_t resend_at);

//  The retry node holds it now.
void
    pf_proc_sched_retrying (pf_proc_sched_t *self, pf_sched_msg_t *msg);

//  The retry node gave it back for attempt attempts + 1.
void
    pf_proc_sched_reinjected (pf_proc_sched_t *self, pf_sched_msg_t *msg, uint32_t attempts);

//  ---- Workers ----------------------------------------------------------------------

//  A READY from routing id: a new worker, or new prefixes and credit for a
//  known one. Returns the worker.
pf_sched_worker_t *
    pf_proc_sched_worker_ready (pf_proc_sched_t *self, zframe_t *routing_id,
                                const char *prefixes, uint32_t credit, uint32_t batch_size,
                                int64_t now);

//  The worker of routing id, or NULL if unknown (it has not sent READY).
pf_sched_worker_t *
    pf_proc_sched_worker (pf_proc_sched_t *self, zframe_t *routing_id);

//  A sign of life from a worker.
void
    pf_proc_sched_worker_seen (pf_sched_worker_t *worker, int64_t now);

//  The worker's routing id (borrowed) and batch size.
zframe_t *
    pf_proc_sched_worker_id (pf_sched_worker_t *worker);
uint32_t
    pf_proc_sched_worker_batch (pf_sched_worker_t *worker);

//  Forget a worker; its messages in flight go into lost (pf_sched_msg_t *)
//  for the caller to hand off.
void
    pf_proc_sched_worker_remove (pf_proc_sched_t *self, pf_sched_worker_t *worker,
                                 zlistx_t *lost);

//  Workers silent since before silent_before, to be removed.
void
    pf_proc_sched_silent (pf_proc_sched_t *self, int64_t silent_before, zlistx_t *workers);

//  The message worker holds under id, or NULL if it holds none.
pf_sched_msg_t *
    pf_proc_sched_held (pf_proc_sched_t *self, pf_sched_worker_t *worker, const char *id,
                        size_t id_size);

//  A DONE or FAIL came for a message the worker held: it gets its credit back.
void
    pf_proc_sched_answered (pf_proc_sched_t *self, pf_sched_msg_t *msg);

//  ---- Scheduling ------------------------------------------------------------------

//  The next delivery: a worker with credit and the ready message it should
//  get (the head of a key's line, a topic it handles). Marks the message
//  in flight to that worker until deadline. Returns false when there is
//  nothing to deliver now.
bool
    pf_proc_sched_next (pf_proc_sched_t *self, int64_t deadline,
                        pf_sched_worker_t **worker_p, pf_sched_msg_t **msg_p);

//  Messages in flight past their deadline, into expired.
void
    pf_proc_sched_expired (pf_proc_sched_t *self, int64_t now, zlistx_t *expired);

//  Messages in HANDOFF due for a resend, into due.
void
    pf_proc_sched_handoff_due (pf_proc_sched_t *self, int64_t now, zlistx_t *due);

//  Counts: open messages, in flight, failed (handed off or retrying),
//  blocked (behind a failed message of their key, strict), workers.
size_t pf_proc_sched_open (pf_proc_sched_t *self);
size_t pf_proc_sched_inflight (pf_proc_sched_t *self);
size_t pf_proc_sched_failed (pf_proc_sched_t *self);
size_t pf_proc_sched_blocked (pf_proc_sched_t *self);
size_t pf_proc_sched_workers (pf_proc_sched_t *self);

#endif
