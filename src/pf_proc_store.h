//  pf_proc_store - the durable messages of one proc (SQLite, WAL).
//  Owned by the proc's store actor; the socket loop never calls it.
//
//  Two append-only tables keyed by seq, the proc's accepted order, so that
//  every insert lands on the last page of its B-tree whatever the ids are:
//    ids   (seq, hash, at, id)   every accepted id, for dedupe; pruned from
//                                the head once older than dedupe-window
//    msgs  (seq, partition, topic, key, payload, state, attempts)
//                                messages not yet done or dead
//  Dedupe looks up a keyed 64-bit hash of the id in memory (pf_dedupe) and
//  confirms a hit by reading that one row. WAL checkpoints run on a thread
//  of their own, off the commit path.

#ifndef PF_PROC_STORE_H_INCLUDED
#define PF_PROC_STORE_H_INCLUDED

typedef struct _pf_proc_store_t pf_proc_store_t;

//  Message states in msgs (a message in flight is READY on disk: its
//  attempts column already counts the delivery).
#define PF_STORE_READY      0   //  waiting for (re)delivery
#define PF_STORE_HANDOFF    1   //  failed, not yet taken by the retry node
#define PF_STORE_RETRYING   2   //  held by the retry node

//  An open message as pf_proc_store_scan reports it; views valid during
//  the callback only.
typedef struct {
    uint64_t seq;
    uint32_t partition;
    uint32_t attempts;
    int state;                  //  PF_STORE_*
    pf_record_t record;         //  id, topic, key; no payload
} pf_store_row_t;

typedef void (pf_store_row_fn) (const pf_store_row_t *row, void *arg);

//  Open or create the store and load the dedupe index. Returns NULL and
//  sets *error (caller frees) on failure.
pf_proc_store_t *
    pf_proc_store_new (const char *path, bool sync_full, int64_t dedupe_window_s,
                       int64_t max_pending, char **error);

//  Close the store (stops the checkpointer) and set *self_p to NULL.
void
    pf_proc_store_destroy (pf_proc_store_t **self_p);

//  Start a group commit.
void
    pf_proc_store_begin (pf_proc_store_t *self);

//  Judge one message within the group: 'A' staged as new (its seq in
//  *seq), 'D' duplicate of a remembered id, 'B' busy (max-pending
//  reached, or the group has failed on a storage error).
char
    pf_proc_store_put (pf_proc_store_t *self, uint32_t partition,
                       const pf_record_t *record, uint64_t *seq);

//  Within the group: open a replayed dead letter again, without dedupe,
//  once per ticket. Returns its new seq and sets *opened, or, for a ticket
//  seen before, the seq it got then with *opened false; 0 if the group has
//  failed.
uint64_t
    pf_proc_store_replay (pf_proc_store_t *self, uint64_t ticket, uint32_t partition,
                          const pf_record_t *record, bool *opened);

//  Within the group: the message is done or dead (its id stays for dedupe).
void
    pf_proc_store_delete (pf_proc_store_t *self, uint64_t seq);

//  Within the group: set state, attempts and the last failure reason.
void
    pf_proc_store_update (pf_proc_store_t *self, uint64_t seq, int state, uint32_t attempts,
                          const char *reason);

//  Read one open message: *record points at its fields (payload too) and
//  *reason at its last failure reason, valid until the next call. Returns
//  0, or -1 if there is no such message.
int
    pf_proc_store_fetch (pf_proc_store_t *self, uint64_t seq, pf_record_t *record,
                         const char **reason);

//  End the read of pf_proc_store_fetch (its views become invalid), so that
//  no read snapshot holds WAL checkpoints back.
void
    pf_proc_store_release (pf_proc_store_t *self);

//  Call fn for the open messages from seq first on, in seq order, at most
//  limit of them (0: all). Returns how many it read, or -1.
int64_t
    pf_proc_store_scan (pf_proc_store_t *self, uint64_t first, size_t limit,
                        pf_store_row_fn *fn, void *arg);

//  Commit the group, with one bounded pruning step. Returns 0, or -1 when
//  nothing of the group was stored (rolled back, logged once per episode):
//  then every verdict of the group must be answered 'B'.
int
    pf_proc_store_commit (pf_proc_store_t *self);

//  Ids inside the dedupe window.
size_t
    pf_proc_store_remembered (pf_proc_store_t *self);

//  Open messages: accepted (this group's too) and not yet done or dead.
int64_t
    pf_proc_store_pending (pf_proc_store_t *self);

#endif
