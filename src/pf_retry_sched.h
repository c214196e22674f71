//  pf_retry_sched - what the retry node knows in memory about the failed
//  messages it holds: for each proc, a heap of messages waiting for their
//  due time and a heap of those sent (REINJECT or DEAD) and waiting for an
//  answer, by the time to resend. No payloads, no I/O: pure bookkeeping
//  for the retry node's core thread, which owns it. Times are Unix ms.

#ifndef PF_RETRY_SCHED_H_INCLUDED
#define PF_RETRY_SCHED_H_INCLUDED

typedef struct _pf_retry_sched_t pf_retry_sched_t;

typedef enum {
    PF_RETRY_ITEM_WAITING = 0,  //  to be re-injected at its due time
    PF_RETRY_ITEM_SENT,         //  REINJECT sent, waiting for REINJECTED
    PF_RETRY_ITEM_DEAD          //  dead-lettered, DEAD sent until GONE
} pf_retry_item_state_t;

//  A failed message, keyed by (proc, seq). Read-only outside pf_retry_sched.
typedef struct {
    uint32_t proc;              //  index of the proc that holds it
    uint64_t seq;               //  its seq in that proc
    uint32_t partition;
    uint32_t attempt;           //  the attempt that failed
    pf_retry_item_state_t state;
    int64_t at;                 //  WAITING: due; SENT, DEAD: when to send (again)
    size_t heap_index;          //  position in its heap
} pf_retry_item_t;

//  A schedule for procs procs (indexes 0 .. procs - 1); it grows when a
//  message of a higher index is added.
pf_retry_sched_t *
    pf_retry_sched_new (size_t procs);

void
    pf_retry_sched_destroy (pf_retry_sched_t **self_p);

//  Add a message that is not there yet (find first).
pf_retry_item_t *
    pf_retry_sched_add (pf_retry_sched_t *self, uint32_t proc, uint64_t seq,
                        uint32_t partition, uint32_t attempt, pf_retry_item_state_t state,
                        int64_t at);

//  The message (proc, seq), or NULL.
pf_retry_item_t *
    pf_retry_sched_find (pf_retry_sched_t *self, uint32_t proc, uint64_t seq);

//  Forget a message (frees it).
void
    pf_retry_sched_remove (pf_retry_sched_t *self, pf_retry_item_t *item);

//  Change a message's state and time (SENT and DEAD go to the answer heap).
void
    pf_retry_sched_set (pf_retry_sched_t *self, pf_retry_item_t *item,
                        pf_retry_item_state_t state, int64_t at);

//  The waiting message of proc due first, or NULL.
pf_retry_item_t *
    pf_retry_sched_first_waiting (pf_retry_sched_t *self, uint32_t proc);

//  The sent (SENT or DEAD) message of proc to resend first, or NULL.
pf_retry_item_t *
    pf_retry_sched_first_sent (pf_retry_sched_t *self, uint32_t proc);

//  How many messages of proc are in state (all procs: proc = UINT32_MAX).
size_t
    pf_retry_sched_count (pf_retry_sched_t *self, uint32_t proc, pf_retry_item_state_t state);

//  Forget everything.
void
    pf_retry_sched_clear (pf_retry_sched_t *self);

#endif
