//  pf_seqmap - seq -> pointer, open addressing with linear probing.
//
//  A slot is empty when its item is NULL, so every seq, 0 included, can be
//  a key. The home slot of a seq is the splitmix64 finalizer of it, masked:
//  seqs come mostly consecutive, and the mix spreads them so no run of
//  them becomes one long probe chain.
//
//  The table doubles before an insert would take it past 5/8 full. With
//  linear probing a lookup costs about (1 + 1/(1-a)) / 2 probes when found
//  and (1 + 1/(1-a)^2) / 2 when not, at load a: at 5/8 that is 1.8 and 4.1,
//  two or three 16-byte slots in the same cache line or the next. At 3/4 a
//  miss (every insert) would take 8.5; at 1/2 a just-grown table would use
//  64 bytes an item, against 26 to 51 here.
//
//  A delete leaves no tombstone: it walks the probe chain after the hole
//  and moves back each item whose home is not between the hole and where
//  it sits, so chains stay as short as if the deleted seq had never been
//  inserted, however many inserts and deletes pass through.

#include "pf_classes.h"

typedef struct {
    uint64_t seq;
    void *item;                 //  NULL: the slot is empty
} s_slot_t;

struct _pf_seqmap_t {
    s_slot_t *slots;            //  capacity slots
    size_t capacity;            //  a power of two
    size_t size;                //  items in the map
    size_t cursor;              //  the next slot first/next looks at
};

#define S_INITIAL_CAPACITY 1024

static inline size_t
s_home (uint64_t seq, size_t mask)
{
    seq = (seq ^ (seq >> 30)) * 0xBF58476D1CE4E5B9ULL;
    seq = (seq ^ (seq >> 27)) * 0x94D049BB133111EBULL;
    return (size_t) (seq ^ (seq >> 31)) & mask;
}

static s_slot_t *
s_slots_new (size_t capacity)
{
    s_slot_t *slots = (s_slot_t *) calloc (capacity, sizeof (s_slot_t));
    assert (slots);
    return slots;
}

pf_seqmap_t *
pf_seqmap_new (void)
{
    pf_seqmap_t *self = (pf_seqmap_t *) zmalloc (sizeof (pf_seqmap_t));
    self->capacity = S_INITIAL_CAPACITY;
    self->slots = s_slots_new (self->capacity);
    self->cursor = self->capacity;
    return self;
}

void
pf_seqmap_destroy (pf_seqmap_t **self_p)
{
    pf_seqmap_t *self = *self_p;
    if (!self)
        return;
    free (self->slots);
    free (self);
    *self_p = NULL;
}

static void
s_grow (pf_seqmap_t *self)
{
    s_slot_t *old = self->slots;
    size_t old_capacity = self->capacity;
    self->capacity *= 2;
    self->slots = s_slots_new (self->capacity);
    size_t mask = self->capacity - 1;
    for (size_t index = 0; index < old_capacity; index++)
        if (old [index].item) {
            size_t at = s_home (old [index].seq, mask);
            while (self->slots [at].item)
                at = (at + 1) & mask;
            self->slots [at] = old [index];
        }
    free (old);
}

int
pf_seqmap_insert (pf_seqmap_t *self, uint64_t seq, void *item)
{
    assert (item);
    size_t mask = self->capacity - 1;
    size_t at = s_home (seq, mask);
    for (; self->slots [at].item; at = (at + 1) & mask)
        if (self->slots [at].seq == seq)
            return -1;
    self->cursor = self->capacity;
    if ((self->size + 1) * 8 > self->capacity * 5) {
        s_grow (self);
        mask = self->capacity - 1;
        for (at = s_home (seq, mask); self->slots [at].item; at = (at + 1) & mask)
            ;
        self->cursor = self->capacity;
    }
    self->slots [at].seq = seq;
    self->slots [at].item = item;
    self->size++;
    return 0;
}

void *
pf_seqmap_lookup (pf_seqmap_t *self, uint64_t seq)
{
    size_t mask = self->capacity - 1;
    for (size_t at = s_home (seq, mask); self->slots [at].item; at = (at + 1) & mask)
        if (self->slots [at].seq == seq)
            return self->slots [at].item;
    return NULL;
}

void *
pf_seqmap_delete (pf_seqmap_t *self, uint64_t seq)
{
    size_t mask = self->capacity - 1;
    size_t hole = s_home (seq, mask);
    while (self->slots [hole].item && self->slots [hole].seq != seq)
        hole = (hole + 1) & mask;
    void *item = self->slots [hole].item;
    if (!item)
        return NULL;
    self->cursor = self->capacity;
    //  An item may fill the hole unless its home lies after the hole, up to
    //  where it sits (distances taken modulo the capacity, for chains that
    //  wrap past the end of the table)
    for (size_t at = (hole + 1) & mask; self->slots [at].item; at = (at + 1) & mask) {
        size_t home = s_home (self->slots [at].seq, mask);
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
pf_seqmap_purge (pf_seqmap_t *self)
{
    memset (self->slots, 0, self->capacity * sizeof (s_slot_t));
    self->size = 0;
    self->cursor = self->capacity;
}

size_t
pf_seqmap_size (pf_seqmap_t *self)
{
    return self->size;
}

size_t
pf_seqmap_capacity (pf_seqmap_t *self)
{
    return self->capacity;
}

void *
pf_seqmap_first (pf_seqmap_t *self)
{
    self->cursor = 0;
    return pf_seqmap_next (self);
}

void *
pf_seqmap_next (pf_seqmap_t *self)
{
    while (self->cursor < self->capacity) {
        void *item = self->slots [self->cursor++].item;
        if (item)
            return item;
    }
    return NULL;
}
