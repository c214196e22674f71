//  pf_map - a hash map from a caller's key to a pointer, for the maps that
//  may hold millions of items: a proc's open messages by seq, its lines by
//  message key, its deliveries in flight by id, the retry node's messages;
//  and a producer's pending messages by id.
//  Open addressing with linear probing, 16 bytes a slot (the key's 64-bit
//  hash and the item), no allocation per item, no tombstones (a delete
//  shifts the rest of the probe chain back). Owned by one thread.
//
//  Why not czmq's zhashx: it also doubles its table whenever a lookup walks
//  a chain longer than a small limit that only grows with the table, so a
//  map of a million keys could double again and again on lookups, up to a
//  2^25-slot array (268 MB) and beyond, each rehash stalling its thread.
//
//  The caller hashes, with pf_map_hash_seq for a 64-bit number (a mix that
//  is a bijection, so equal hashes mean equal numbers) or pf_map_hash_bytes
//  for a byte string. Items are never NULL and hold their own keys: the
//  map's match function says whether an item has a given key, and is only
//  asked when the hashes are equal. A map without one (NULL) takes equal
//  hashes for equal keys, which is exact with pf_map_hash_seq.

#ifndef PF_MAP_H_INCLUDED
#define PF_MAP_H_INCLUDED

typedef struct _pf_map_t pf_map_t;

//  True if item's key is key.
typedef bool (pf_map_match_fn) (const void *item, const void *key);

pf_map_t *
    pf_map_new (pf_map_match_fn *match);

//  Free the map and set *self_p to NULL; does nothing if already NULL.
//  The items are the caller's: they are not freed.
void
    pf_map_destroy (pf_map_t **self_p);

//  Map key (of that hash) to item (not NULL). Returns 0, or -1 if the key
//  is already in the map, which is then unchanged.
int
    pf_map_insert (pf_map_t *self, uint64_t hash, const void *key, void *item);

//  The item of key, or NULL if key is not in the map.
void *
    pf_map_lookup (pf_map_t *self, uint64_t hash, const void *key);

//  Take key out of the map. Returns its item, or NULL if it was not in it.
void *
    pf_map_delete (pf_map_t *self, uint64_t hash, const void *key);

//  Empty the map, keeping its capacity, so a refill to the same size does
//  not rehash. The items are the caller's.
void
    pf_map_purge (pf_map_t *self);

//  Items in the map, and slots allocated (a power of two).
size_t
    pf_map_size (pf_map_t *self);
size_t
    pf_map_capacity (pf_map_t *self);

//  Visit every item once, in no particular order: first, then next until
//  NULL. Inserting or deleting during a visit ends it (collect first, then
//  delete).
void *
    pf_map_first (pf_map_t *self);
void *
    pf_map_next (pf_map_t *self);

//  The hash of a 64-bit number: the splitmix64 finalizer, a bijection that
//  spreads consecutive numbers over the whole table.
uint64_t
    pf_map_hash_seq (uint64_t seq);

//  The hash of size bytes: FNV-1a, then the same finalizer, so that the
//  low bits that choose a slot depend on every byte.
uint64_t
    pf_map_hash_bytes (const void *data, size_t size);

#endif
