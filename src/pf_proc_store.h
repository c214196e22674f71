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

//  Message states in msgs.
#define PF_STATE_READY      0   //  waiting for (re)delivery
#define PF_STATE_RETRYING   1   //  handed to the retry node

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

//  Judge one message within the group: 'A' staged as new, 'D' duplicate
//  of a remembered id, 'B' busy (max-pending reached, or the group has
//  failed on a storage error).
char
    pf_proc_store_put (pf_proc_store_t *self, uint32_t partition,
                       const pf_record_t *record);

//  Commit the group, with one bounded pruning step. Returns 0, or -1 when
//  nothing of the group was stored (rolled back, logged once per episode):
//  then every verdict of the group must be answered 'B'.
int
    pf_proc_store_commit (pf_proc_store_t *self);

//  Messages stored and not yet done or dead.
int64_t
    pf_proc_store_pending (pf_proc_store_t *self);

//  Ids inside the dedupe window.
size_t
    pf_proc_store_remembered (pf_proc_store_t *self);

#endif
