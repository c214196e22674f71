//  pf_map - a hash map from a caller's key to a pointer, open addressing
//  with linear probing.
//
//  A slot is empty when its item is NULL. The home slot of a key is its
//  hash, masked: the caller's hashes are mixed (pf_map_hash_*), so runs of
//  similar keys do not become long probe chains.
//
//  The table doubles before an insert would take it past 5/8 full. With
//  linear probing a lookup costs about (1 + 1/(1-a)) / 2 probes when found
//  and (1 + 1/(1-a)^2) / 2 when not, at load a: at 5/8 that is 1.8 and 4.1,
//  two or three 16-byte slots in the same cache line or the next. At 3/4 a
//  miss (every insert) would take 8.5; at 1/2 a just-grown table would use
//  64 bytes an item, against 26 to 51 here. The table never grows for any
//  other reason, so its size follows the item count alone.
//
//  A delete leaves no tombstone: it walks the probe chain after the hole
//  and moves back each item whose home is not between the hole and where
//  it sits, so chains stay as short as if the deleted key had never been
//  inserted, however many inserts and deletes pass through.

#include "pf_classes.h"

typedef struct {
    uint64_t hash;              //  of the item's key
    void *item;                 //  NULL: the slot is empty
} s_slot_t;

struct _pf_map_t {
    s_slot_t *slots;            //  capacity slots
    size_t capacity;            //  a power of two
    size_t size;                //  items in the map
    size_t cursor;              //  the next slot first/next looks at
    pf_map_match_fn *match;     //  NULL: equal hashes are equal keys
};

#define S_INITIAL_CAPACITY 1024

uint64_t
pf_map_hash_seq (uint64_t seq)
{
    seq = (seq ^ (seq >> 30)) * 0xBF58476D1CE4E5B9ULL;
    seq = (seq ^ (seq >> 27)) * 0x94D049BB133111EBULL;
    return seq ^ (seq >> 31);
}

uint64_t
pf_map_hash_bytes (const void *data, size_t size)
{
    const byte *bytes = (const byte *) data;
    uint64_t hash = 14695981039346656037ULL;
    for (size_t index = 0; index < size; index++)
        hash = (hash ^ bytes [index]) * 1099511628211ULL;
    return pf_map_hash_seq (hash);
}

static inline size_t
s_home (uint64_t hash, size_t mask)
{
    return (size_t) hash & mask;
}

static inline bool
s_holds (pf_map_t *self, const s_slot_t *slot, uint64_t hash, const void *key)
{
    return slot->hash == hash && (!self->match || self->match (slot->item, key));
}

//  The slot holding key, or the empty slot ending its probe chain.
static s_slot_t *
s_find (pf_map_t *self, uint64_t hash, const void *key)
{
    size_t mask = self->capacity - 1;
    size_t at = s_home (hash, mask);
    while (self->slots [at].item && !s_holds (self, &self->slots [at], hash, key))
        at = (at + 1) & mask;
    return &self->slots [at];
}

static s_slot_t *
s_slots_new (size_t capacity)
{
    s_slot_t *slots = (s_slot_t *) calloc (capacity, sizeof (s_slot_t));
    assert (slots);
    return slots;
}

pf_map_t *
pf_map_new (pf_map_match_fn *match)
{
    pf_map_t *self = (pf_map_t *) zmalloc (sizeof (pf_map_t));
    self->match = match;
    self->capacity = S_INITIAL_CAPACITY;
    self->slots = s_slots_new (self->capacity);
    self->cursor = self->capacity;
    return self;
}

void
pf_map_destroy (pf_map_t **self_p)
{
    pf_map_t *self = *self_p;
    if (!self)
        return;
    free (self->slots);
    free (self);
    *self_p = NULL;
}

static void
s_grow (pf_map_t *self)
{
    s_slot_t *old = self->slots;
    size_t old_capacity = self->capacity;
    self->capacity *= 2;
    self->slots = s_slots_new (self->capacity);
    size_t mask = self->capacity - 1;
    for (size_t index = 0; index < old_capacity; index++)
        if (old [index].item) {
            size_t at = s_home (old [index].hash, mask);
            while (self->slots [at].item)
                at = (at + 1) & mask;
            self->slots [at] = old [index];
        }
    free (old);
}

int
pf_map_insert (pf_map_t *self, uint64_t hash, const void *key, void *item)
{
    assert (item);
    s_slot_t *slot = s_find (self, hash, key);
    if (slot->item)
        return -1;
    self->cursor = self->capacity;
    if ((self->size + 1) * 8 > self->capacity * 5) {
        s_grow (self);
        size_t mask = self->capacity - 1;
        size_t at = s_home (hash, mask);
        while (self->slots [at].item)
            at = (at + 1) & mask;
        slot = &self->slots [at];
    }
    slot->hash = hash;
    slot->item = item;
    self->size++;
    return 0;
}

void *
pf_map_lookup (pf_map_t *self, uint64_t hash, const void *key)
{
    return s_find (self, hash, key)->item;
}

void *
pf_map_delete (pf_map_t *self, uint64_t hash, const void *key)
{
    size_t mask = self->capacity - 1;
    size_t hole = (size_t) (s_find (self, hash, key) - self->slots);
    void *item = self->slots [hole].item;
    if (!item)
        return NULL;
    self->cursor = self->capacity;
    //  An item may fill the hole unless its home lies after the hole, up to
    //  where it sits (distances taken modulo the capacity, for chains that
    //  wrap past the end of the table)
    for (size_t at = (hole + 1) & mask; self->slots [at].item; at = (at + 1) & mask) {
        size_t home = s_home (self->slots [at].hash, mask);
        if (((at - home) & mask) >= ((at - hole) & mask)) {
            self->slots [hole] = self->slots [at];
            hole = at;
        }
    }
    self->slots [hole].item = NULL;
    self->size--;
    return item;
}

void
pf_map_purge (pf_map_t *self)
{
    memset (self->slots, 0, self->capacity * sizeof (s_slot_t));
    self->size = 0;
    self->cursor = self->capacity;
}

size_t
pf_map_size (pf_map_t *self)
{
    return self->size;
}

size_t
pf_map_capacity (pf_map_t *self)
{
    return self->capacity;
}

void *
pf_map_first (pf_map_t *self)
{
    self->cursor = 0;
    return pf_map_next (self);
}

void *
pf_map_next (pf_map_t *self)
{
    while (self->cursor < self->capacity) {
        void *item = self->slots [self->cursor++].item;
        if (item)
            return item;
    }
    return NULL;
}
