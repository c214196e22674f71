//  pf_seqmap - a map from a 64-bit seq to a pointer: the proc scheduler's
//  index of its open messages by store row. Open addressing with linear
//  probing, 16 bytes a slot, no allocation per item, no tombstones (a
//  delete shifts the rest of the probe chain back). Any seq may be a key,
//  0 included; items are never NULL. Owned by one thread.

#ifndef PF_SEQMAP_H_INCLUDED
#define PF_SEQMAP_H_INCLUDED

typedef struct _pf_seqmap_t pf_seqmap_t;

pf_seqmap_t *
    pf_seqmap_new (void);

//  Free the map and set *self_p to NULL; does nothing if already NULL.
//  The items are the caller's: they are not freed.
void
    pf_seqmap_destroy (pf_seqmap_t **self_p);

//  Map seq to item (not NULL). Returns 0, or -1 if seq is already in the
//  map, which is then unchanged.
int
    pf_seqmap_insert (pf_seqmap_t *self, uint64_t seq, void *item);

//  The item of seq, or NULL if seq is not in the map.
void *
    pf_seqmap_lookup (pf_seqmap_t *self, uint64_t seq);

//  Take seq out of the map. Returns its item, or NULL if seq was not in it.
void *
    pf_seqmap_delete (pf_seqmap_t *self, uint64_t seq);

//  Empty the map, keeping its capacity, so a refill to the same size does
//  not rehash. The items are the caller's.
void
    pf_seqmap_purge (pf_seqmap_t *self);

//  Items in the map, and slots allocated (a power of two).
size_t
    pf_seqmap_size (pf_seqmap_t *self);
size_t
    pf_seqmap_capacity (pf_seqmap_t *self);

//  Visit every item once, in no particular order: first, then next until
//  NULL. Inserting or deleting during a visit ends it (collect first, then
//  delete).
void *
    pf_seqmap_first (pf_seqmap_t *self);
void *
    pf_seqmap_next (pf_seqmap_t *self);

#endif
