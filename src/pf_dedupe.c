//  pf_dedupe - in-memory dedupe index (hash -> seq), open addressing.
//
//  A slot is empty when hash is 0 (real hashes of 0 are stored as 1) and
//  dead when its seq is below the floor (expired) or 0 (removed). Dead
//  slots keep probe chains intact and are reused by inserts; a rebuild
//  drops them when live and dead slots together pass 3/4 of the table.
//
//  The index is S_SEGMENTS tables, chosen by a hash's top bits, each
//  rebuilt on its own: a rebuild walks every slot, and one table of a
//  million ids took 60 to 80 ms, the proc's core thread (and so every
//  acknowledgement) stalled meanwhile. A segment holds 1/256 of the ids,
//  so each rebuild stalls that much less, and the extra memory a rebuild
//  holds while it runs is one segment's, not the whole index's. Uniform
//  hashes (the store's keyed SipHash) fill the segments alike; their
//  rebuilds come at different inserts.
//
//  A rebuild sizes its segment to 9/4 slots a live entry, any count, not
//  a power of two (the home slot is the hash modulo the capacity): 36
//  bytes a live id just after it, falling towards 21 as new ids fill the
//  segment to 3/4. Once ids expire as fast as new ones come, the live
//  count, and so the size, stays put: 36 bytes an id, a sweep after every
//  11/16 of the live count in inserts. Powers of two would put the size
//  anywhere between 43 and 85 bytes an id in that steady state. (5/2 slots
//  an entry, 40 bytes, ran no faster in a simulated full window.)

#include "pf_classes.h"

typedef struct {
    uint64_t hash;
    uint64_t seq;
} s_slot_t;

typedef struct {
    s_slot_t *slots;
    size_t capacity;
    size_t used;            //  non-empty slots, live or dead
} s_segment_t;

#define S_SEGMENT_BITS      8
#define S_SEGMENTS          (1 << S_SEGMENT_BITS)
#define S_MIN_CAPACITY      64

struct _pf_dedupe_t {
    s_segment_t segments [S_SEGMENTS];
    uint64_t floor;         //  seqs below this have expired
};

static uint64_t
s_stored_hash (uint64_t hash)
{
    return hash ? hash : 1;
}

static s_segment_t *
s_segment_of (pf_dedupe_t *self, uint64_t stored_hash)
{
    return &self->segments [stored_hash >> (64 - S_SEGMENT_BITS)];
}

static size_t
s_home (const s_segment_t *segment, uint64_t stored_hash)
{
    return (size_t) (stored_hash % segment->capacity);
}

static size_t
s_after (const s_segment_t *segment, size_t at)
{
    return at + 1 == segment->capacity ? 0 : at + 1;
}

static bool
s_is_live (pf_dedupe_t *self, const s_slot_t *slot)
{
    return slot->hash && slot->seq && slot->seq >= self->floor;
}

static void
s_segment_alloc (s_segment_t *segment, size_t capacity)
{
    segment->slots = (s_slot_t *) calloc (capacity, sizeof (s_slot_t));
    assert (segment->slots);
    segment->capacity = capacity;
    segment->used = 0;
}

pf_dedupe_t *
pf_dedupe_new (void)
{
    pf_dedupe_t *self = (pf_dedupe_t *) zmalloc (sizeof (pf_dedupe_t));
    for (size_t index = 0; index < S_SEGMENTS; index++)
        s_segment_alloc (&self->segments [index], S_MIN_CAPACITY);
    self->floor = 1;
    return self;
}

void
pf_dedupe_destroy (pf_dedupe_t **self_p)
{
    pf_dedupe_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < S_SEGMENTS; index++)
        free (self->segments [index].slots);
    free (self);
    *self_p = NULL;
}

//  Live entries of one segment.
static size_t
s_segment_live (pf_dedupe_t *self, const s_segment_t *segment)
{
    size_t live = 0;
    for (size_t index = 0; index < segment->capacity; index++)
        if (s_is_live (self, &segment->slots [index]))
            live++;
    return live;
}

//  Move a segment's live entries into a table of 9/4 slots each.
static void
s_rebuild (pf_dedupe_t *self, s_segment_t *segment)
{
    size_t live = s_segment_live (self, segment);
    size_t capacity = live * 9 / 4 > S_MIN_CAPACITY ? live * 9 / 4 : S_MIN_CAPACITY;
    s_segment_t old = *segment;
    s_segment_alloc (segment, capacity);
    for (size_t index = 0; index < old.capacity; index++)
        if (s_is_live (self, &old.slots [index])) {
            size_t at = s_home (segment, old.slots [index].hash);
            while (segment->slots [at].hash)
                at = s_after (segment, at);
            segment->slots [at] = old.slots [index];
            segment->used++;
        }
    free (old.slots);
}

void
pf_dedupe_insert (pf_dedupe_t *self, uint64_t hash, uint64_t seq)
{
    assert (seq >= 1);
    hash = s_stored_hash (hash);
    s_segment_t *segment = s_segment_of (self, hash);
    if ((segment->used + 1) * 4 > segment->capacity * 3)
        s_rebuild (self, segment);
    size_t at = s_home (segment, hash);
    while (segment->slots [at].hash && s_is_live (self, &segment->slots [at]))
        at = s_after (segment, at);
    if (!segment->slots [at].hash)
        segment->used++;
    segment->slots [at].hash = hash;
    segment->slots [at].seq = seq;
}

void
pf_dedupe_remove (pf_dedupe_t *self, uint64_t hash, uint64_t seq)
{
    hash = s_stored_hash (hash);
    s_segment_t *segment = s_segment_of (self, hash);
    for (size_t at = s_home (segment, hash); segment->slots [at].hash; at = s_after (segment, at))
        if (segment->slots [at].hash == hash && segment->slots [at].seq == seq) {
            segment->slots [at].seq = 0;
            return;
        }
}

uint64_t
pf_dedupe_find (pf_dedupe_t *self, uint64_t hash, size_t *cursor)
{
    hash = s_stored_hash (hash);
    s_segment_t *segment = s_segment_of (self, hash);
    //  The cursor counts probes already made from the home slot
    size_t at = (s_home (segment, hash) + *cursor) % segment->capacity;
    for (; segment->slots [at].hash; at = s_after (segment, at)) {
        (*cursor)++;
        if (*cursor > segment->capacity)
            break;
        if (segment->slots [at].hash == hash && s_is_live (self, &segment->slots [at]))
            return segment->slots [at].seq;
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
    for (size_t index = 0; index < S_SEGMENTS; index++)
        live += s_segment_live (self, &self->segments [index]);
    return live;
}

size_t
pf_dedupe_memory (pf_dedupe_t *self)
{
    size_t slots = 0;
    for (size_t index = 0; index < S_SEGMENTS; index++)
        slots += self->segments [index].capacity;
    return slots * sizeof (s_slot_t) + sizeof (pf_dedupe_t);
}
