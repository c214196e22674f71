//  pf_dedupe - in-memory dedupe index (hash -> seq), open addressing.
//
//  A slot is empty when hash is 0 (real hashes of 0 are stored as 1) and
//  dead when its seq is below the floor (expired) or 0 (removed). Dead
//  slots keep probe chains intact and are reused by inserts; a rehash
//  drops them when live and dead slots together pass 3/4 of the table.

#include "pf_classes.h"

typedef struct {
    uint64_t hash;
    uint64_t seq;
} s_slot_t;

struct _pf_dedupe_t {
    s_slot_t *slots;        //  capacity slots, a power of two
    size_t capacity;
    size_t used;            //  non-empty slots, live or dead
    uint64_t floor;         //  seqs below this have expired
};

#define S_INITIAL_CAPACITY 1024

static uint64_t
s_stored_hash (uint64_t hash)
{
    return hash ? hash : 1;
}

static bool
s_is_live (pf_dedupe_t *self, const s_slot_t *slot)
{
    return slot->hash && slot->seq && slot->seq >= self->floor;
}

pf_dedupe_t *
pf_dedupe_new (void)
{
    pf_dedupe_t *self = (pf_dedupe_t *) zmalloc (sizeof (pf_dedupe_t));
    self->capacity = S_INITIAL_CAPACITY;
    self->slots = (s_slot_t *) calloc (self->capacity, sizeof (s_slot_t));
    assert (self->slots);
    self->floor = 1;
    return self;
}

void
pf_dedupe_destroy (pf_dedupe_t **self_p)
{
    pf_dedupe_t *self = *self_p;
    if (!self)
        return;
    free (self->slots);
    free (self);
    *self_p = NULL;
}

static void
s_rehash (pf_dedupe_t *self, size_t capacity)
{
    s_slot_t *old = self->slots;
    size_t old_capacity = self->capacity;
    self->slots = (s_slot_t *) calloc (capacity, sizeof (s_slot_t));
    assert (self->slots);
    self->capacity = capacity;
    self->used = 0;
    for (size_t index = 0; index < old_capacity; index++)
        if (s_is_live (self, &old [index])) {
            size_t mask = capacity - 1;
            size_t at = old [index].hash & mask;
            while (self->slots [at].hash)
                at = (at + 1) & mask;
            self->slots [at] = old [index];
            self->used++;
        }
    free (old);
}

void
pf_dedupe_insert (pf_dedupe_t *self, uint64_t hash, uint64_t seq)
{
    assert (seq >= 1);
    if ((self->used + 1) * 4 > self->capacity * 3) {
        //  Grow only when live entries need it; else just sweep dead slots
        size_t capacity = self->capacity;
        if ((pf_dedupe_size (self) + 1) * 8 > capacity * 3)
            capacity *= 2;
        s_rehash (self, capacity);
    }
    hash = s_stored_hash (hash);
    size_t mask = self->capacity - 1;
    size_t at = hash & mask;
    while (self->slots [at].hash && s_is_live (self, &self->slots [at]))
        at = (at + 1) & mask;
    if (!self->slots [at].hash)
        self->used++;
    self->slots [at].hash = hash;
    self->slots [at].seq = seq;
}

void
pf_dedupe_remove (pf_dedupe_t *self, uint64_t hash, uint64_t seq)
{
    hash = s_stored_hash (hash);
    size_t mask = self->capacity - 1;
    for (size_t at = hash & mask; self->slots [at].hash; at = (at + 1) & mask)
        if (self->slots [at].hash == hash && self->slots [at].seq == seq) {
            self->slots [at].seq = 0;
            return;
        }
}

uint64_t
pf_dedupe_find (pf_dedupe_t *self, uint64_t hash, size_t *cursor)
{
    hash = s_stored_hash (hash);
    size_t mask = self->capacity - 1;
    //  The cursor counts probes already made from the home slot
    for (size_t at = (hash + *cursor) & mask; self->slots [at].hash; at = (at + 1) & mask) {
        (*cursor)++;
        if (*cursor > self->capacity)
            break;
        if (self->slots [at].hash == hash && s_is_live (self, &self->slots [at]))
            return self->slots [at].seq;
    }
    return 0;
}

void
pf_dedupe_expire (pf_dedupe_t *self, uint64_t floor)
{
    if (floor > self->floor)
        self->floor = floor;
}

size_t
pf_dedupe_size (pf_dedupe_t *self)
{
    size_t live = 0;
    for (size_t index = 0; index < self->capacity; index++)
        if (s_is_live (self, &self->slots [index]))
            live++;
    return live;
}

size_t
pf_dedupe_memory (pf_dedupe_t *self)
{
    return self->capacity * sizeof (s_slot_t) + sizeof (pf_dedupe_t);
}
