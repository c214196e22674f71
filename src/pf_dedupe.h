//  pf_dedupe - the proc's in-memory dedupe index: a 64-bit keyed hash of
//  each remembered message id, mapped to the sequence number of its row in
//  the store. Open addressing with linear probing, 16 bytes a slot, no
//  allocation per id, in 256 segments by the hash's top bits that each
//  rebuild on their own, so no insert stalls for the whole index. Several
//  ids may share a hash, so a hit is only a candidate: the store compares
//  the id itself. Owned by the store thread.

#ifndef PF_DEDUPE_H_INCLUDED
#define PF_DEDUPE_H_INCLUDED

typedef struct _pf_dedupe_t pf_dedupe_t;

pf_dedupe_t *
    pf_dedupe_new (void);

void
    pf_dedupe_destroy (pf_dedupe_t **self_p);

//  Remember that the id with this hash is stored at seq (seq >= 1).
void
    pf_dedupe_insert (pf_dedupe_t *self, uint64_t hash, uint64_t seq);

//  Forget one entry (after a rolled-back insert).
void
    pf_dedupe_remove (pf_dedupe_t *self, uint64_t hash, uint64_t seq);

//  Candidate seqs for hash: start with *cursor = 0; returns 0 when there
//  are no more. Entries below the expiry floor are not returned.
uint64_t
    pf_dedupe_find (pf_dedupe_t *self, uint64_t hash, size_t *cursor);

//  Entries with seq below floor have left the dedupe window.
void
    pf_dedupe_expire (pf_dedupe_t *self, uint64_t floor);

//  Live entries (inserted, not removed or expired) and bytes allocated.
size_t
    pf_dedupe_size (pf_dedupe_t *self);
size_t
    pf_dedupe_memory (pf_dedupe_t *self);

#endif
