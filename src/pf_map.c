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
//  Growing moves the items a little at a time, so that no insert pays for
//  all of them: a million items took 50 ms to move at once, the proc's core
//  thread stalled meanwhile. Until the old table is empty, inserts go to
//  the new one, lookups and deletes look in both, and each insert first
//  moves S_MOVE_SLOTS slots of the old table or more: a move starts at an
//  empty slot and stops only after another, so what is left of the old
//  table is whole runs of slots, and every probe chain in it is intact. Each
//  insert moving at least 2 slots would empty the old table before the new
//  one is 5/8 full; 32 leaves a wide margin.
//
//  A delete leaves no tombstone: it walks the probe chain after the hole
//  and moves back each item whose home is not between the hole and where
//  it sits, so chains stay as short as if the deleted key had never been
//  inserted, however many inserts and deletes pass through. In the old
//  table such a shift stays within its run of slots.

#include "pf_classes.h"

typedef struct {
    uint64_t hash;              //  of the item's key
    void *item;                 //  NULL: the slot is empty
} s_slot_t;

//  One table: capacity slots, a power of two
typedef struct {
    s_slot_t *slots;
    size_t capacity;
} s_table_t;

struct _pf_map_t {
    s_table_t table;            //  where inserts go
    s_table_t old;              //  being emptied into table while growing, else empty
    size_t moved;               //  old slots visited so far, from old_start on
    size_t old_start;           //  the empty old slot the moves began after
    size_t size;                //  items in both tables
    size_t cursor;              //  what first/next looks at next: the table's
                                //  slots, then the old one's
    pf_map_match_fn *match;     //  NULL: equal hashes are equal keys
};

#define S_INITIAL_CAPACITY 1024
#define S_MOVE_SLOTS       32

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

//  The slot of table holding key, or the empty slot ending its probe chain.
static s_slot_t *
s_find (pf_map_t *self, s_table_t *table, uint64_t hash, const void *key)
{
    size_t mask = table->capacity - 1;
    size_t at = s_home (hash, mask);
    while (table->slots [at].item && !s_holds (self, &table->slots [at], hash, key))
        at = (at + 1) & mask;
    return &table->slots [at];
}

//  Put a slot's item into table, which does not hold its key.
static void
s_place (s_table_t *table, const s_slot_t *slot)
{
    size_t mask = table->capacity - 1;
    size_t at = s_home (slot->hash, mask);
    while (table->slots [at].item)
        at = (at + 1) & mask;
    table->slots [at] = *slot;
}

//  Empty the slot at hole, moving back the rest of its probe chain.
static void *
s_remove (s_table_t *table, size_t hole)
{
    size_t mask = table->capacity - 1;
    void *item = table->slots [hole].item;
    //  An item may fill the hole unless its home lies after the hole, up to
    //  where it sits (distances taken modulo the capacity, for chains that
    //  wrap past the end of the table)
    for (size_t at = (hole + 1) & mask; table->slots [at].item; at = (at + 1) & mask) {
        size_t home = s_home (table->slots [at].hash, mask);
        if (((at - home) & mask) >= ((at - hole) & mask)) {
            table->slots [hole] = table->slots [at];
            hole = at;
        }
    }
    table->slots [hole].item = NULL;
    return item;
}

static void
s_table_alloc (s_table_t *table, size_t capacity)
{
    table->slots = (s_slot_t *) calloc (capacity, sizeof (s_slot_t));
    assert (table->slots);
    table->capacity = capacity;
}

pf_map_t *
pf_map_new (pf_map_match_fn *match)
{
    pf_map_t *self = (pf_map_t *) zmalloc (sizeof (pf_map_t));
    self->match = match;
    s_table_alloc (&self->table, S_INITIAL_CAPACITY);
    self->cursor = SIZE_MAX;
    return self;
}

void
pf_map_destroy (pf_map_t **self_p)
{
    pf_map_t *self = *self_p;
    if (!self)
        return;
    free (self->table.slots);
    free (self->old.slots);
    free (self);
    *self_p = NULL;
}

//  Move old slots into the table: at least count, and on until one that
//  was empty, so the rest of the old table is whole runs. Frees the old
//  table once every slot was visited.
static void
s_move (pf_map_t *self, size_t count)
{
    size_t mask = self->old.capacity - 1;
    bool was_empty = false;
    while (self->moved < self->old.capacity && (count > 0 || !was_empty)) {
        s_slot_t *slot = &self->old.slots [(self->old_start + 1 + self->moved) & mask];
        was_empty = slot->item == NULL;
        if (!was_empty) {
            s_place (&self->table, slot);
            slot->item = NULL;
        }
        self->moved++;
        if (count > 0)
            count--;
    }
    if (self->moved == self->old.capacity) {
        free (self->old.slots);
        self->old = (s_table_t) { NULL, 0 };
    }
}

//  Start growing: the table becomes the old one, to be emptied into a new
//  table twice its size, beginning after an empty slot (one always exists:
//  the table is at most 5/8 full).
static void
s_grow (pf_map_t *self)
{
    if (self->old.slots)
        s_move (self, SIZE_MAX);        //  never happens at 32 slots an insert
    self->old = self->table;
    self->moved = 0;
    self->old_start = 0;
    while (self->old.slots [self->old_start].item)
        self->old_start++;
    s_table_alloc (&self->table, self->old.capacity * 2);
}

int
pf_map_insert (pf_map_t *self, uint64_t hash, const void *key, void *item)
{
    assert (item);
    if (pf_map_lookup (self, hash, key))
        return -1;
    self->cursor = SIZE_MAX;
    if (self->old.slots)
        s_move (self, S_MOVE_SLOTS);
    if ((self->size + 1) * 8 > self->table.capacity * 5) {
        s_grow (self);
        s_move (self, S_MOVE_SLOTS);
    }
    s_slot_t slot = { hash, item };
    s_place (&self->table, &slot);
    self->size++;
    return 0;
}

void *
pf_map_lookup (pf_map_t *self, uint64_t hash, const void *key)
{
    void *item = s_find (self, &self->table, hash, key)->item;
    if (!item && self->old.slots)
        item = s_find (self, &self->old, hash, key)->item;
    return item;
}

void *
pf_map_delete (pf_map_t *self, uint64_t hash, const void *key)
{
    s_table_t *table = &self->table;
    s_slot_t *slot = s_find (self, table, hash, key);
    if (!slot->item && self->old.slots) {
        table = &self->old;
        slot = s_find (self, table, hash, key);
    }
    if (!slot->item)
        return NULL;
    self->cursor = SIZE_MAX;
    self->size--;
    return s_remove (table, (size_t) (slot - table->slots));
}

void
pf_map_purge (pf_map_t *self)
{
    free (self->old.slots);
    self->old = (s_table_t) { NULL, 0 };
    memset (self->table.slots, 0, self->table.capacity * sizeof (s_slot_t));
    self->size = 0;
    self->cursor = SIZE_MAX;
}

size_t
pf_map_size (pf_map_t *self)
{
    return self->size;
}

size_t
pf_map_capacity (pf_map_t *self)
{
    return self->table.capacity;
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
    size_t end = self->table.capacity + self->old.capacity;
    while (self->cursor < end) {
        size_t at = self->cursor++;
        void *item = at < self->table.capacity ? self->table.slots [at].item
                                               : self->old.slots [at - self->table.capacity].item;
        if (item)
            return item;
    }
    return NULL;
}
