//  pf_retry_sched - the retry node's in-memory schedule: heaps per proc.

#include "pf_classes.h"

//  A binary min-heap of items by at; each item knows its index.
typedef struct {
    pf_retry_item_t **items;
    size_t size;
    size_t capacity;
} s_heap_t;

typedef struct {
    s_heap_t waiting;           //  WAITING, by due time
    s_heap_t sent;              //  SENT and DEAD, by resend time
    size_t counts [3];          //  items by state
} s_proc_t;

struct _pf_retry_sched_t {
    s_proc_t *procs;
    size_t proc_count;
    pf_map_t *items;            //  (proc, seq) -> pf_retry_item_t *, key = the item
};

//  ---- Heap -----------------------------------------------------------------------

static void
s_heap_place (s_heap_t *heap, size_t index, pf_retry_item_t *item)
{
    heap->items [index] = item;
    item->heap_index = index;
}

static void
s_heap_up (s_heap_t *heap, size_t index)
{
    pf_retry_item_t *item = heap->items [index];
    while (index > 0) {
        size_t parent = (index - 1) / 2;
        if (heap->items [parent]->at <= item->at)
            break;
        s_heap_place (heap, index, heap->items [parent]);
        index = parent;
    }
    s_heap_place (heap, index, item);
}

static void
s_heap_down (s_heap_t *heap, size_t index)
{
    pf_retry_item_t *item = heap->items [index];
    while (true) {
        size_t child = 2 * index + 1;
        if (child >= heap->size)
            break;
        if (child + 1 < heap->size && heap->items [child + 1]->at < heap->items [child]->at)
            child++;
        if (heap->items [child]->at >= item->at)
            break;
        s_heap_place (heap, index, heap->items [child]);
        index = child;
    }
    s_heap_place (heap, index, item);
}

static void
s_heap_push (s_heap_t *heap, pf_retry_item_t *item)
{
    if (heap->size == heap->capacity) {
        heap->capacity = heap->capacity ? heap->capacity * 2 : 64;
        heap->items = (pf_retry_item_t **) realloc (heap->items,
                                                     heap->capacity * sizeof (pf_retry_item_t *));
        assert (heap->items);
    }
    s_heap_place (heap, heap->size++, item);
    s_heap_up (heap, item->heap_index);
}

static void
s_heap_remove (s_heap_t *heap, pf_retry_item_t *item)
{
    size_t index = item->heap_index;
    assert (index < heap->size && heap->items [index] == item);
    pf_retry_item_t *last = heap->items [--heap->size];
    if (last == item)
        return;
    s_heap_place (heap, index, last);
    s_heap_up (heap, index);
    s_heap_down (heap, last->heap_index);
}

//  ---- Items ------------------------------------------------------------------------

static uint64_t
s_item_hash (uint32_t proc, uint64_t seq)
{
    return pf_map_hash_seq (seq ^ ((uint64_t) proc << 48));
}

static bool
s_item_is (const void *item, const void *key)
{
    const pf_retry_item_t *first = (const pf_retry_item_t *) item;
    const pf_retry_item_t *second = (const pf_retry_item_t *) key;
    return first->proc == second->proc && first->seq == second->seq;
}

pf_retry_sched_t *
pf_retry_sched_new (size_t procs)
{
    pf_retry_sched_t *self = (pf_retry_sched_t *) zmalloc (sizeof (pf_retry_sched_t));
    self->proc_count = procs;
    self->procs = (s_proc_t *) calloc (procs ? procs : 1, sizeof (s_proc_t));
    assert (self->procs);
    self->items = pf_map_new (s_item_is);
    return self;
}

void
pf_retry_sched_clear (pf_retry_sched_t *self)
{
    for (pf_retry_item_t *item = (pf_retry_item_t *) pf_map_first (self->items); item;
         item = (pf_retry_item_t *) pf_map_next (self->items))
        free (item);
    pf_map_purge (self->items);
    for (size_t index = 0; index < self->proc_count; index++) {
        s_proc_t *proc = &self->procs [index];
        proc->waiting.size = 0;
        proc->sent.size = 0;
        memset (proc->counts, 0, sizeof proc->counts);
    }
}

void
pf_retry_sched_destroy (pf_retry_sched_t **self_p)
{
    pf_retry_sched_t *self = *self_p;
    if (!self)
        return;
    pf_retry_sched_clear (self);
    pf_map_destroy (&self->items);
    for (size_t index = 0; index < self->proc_count; index++) {
        free (self->procs [index].waiting.items);
        free (self->procs [index].sent.items);
    }
    free (self->procs);
    free (self);
    *self_p = NULL;
}

//  Make room for procs up to index proc.
static void
s_grow (pf_retry_sched_t *self, uint32_t proc)
{
    if (proc < self->proc_count)
        return;
    size_t count = (size_t) proc + 1;
    self->procs = (s_proc_t *) realloc (self->procs, count * sizeof (s_proc_t));
    assert (self->procs);
    memset (self->procs + self->proc_count, 0, (count - self->proc_count) * sizeof (s_proc_t));
    self->proc_count = count;
}

static s_heap_t *
s_heap_of (pf_retry_sched_t *self, pf_retry_item_t *item)
{
    s_proc_t *proc = &self->procs [item->proc];
    return item->state == PF_RETRY_ITEM_WAITING ? &proc->waiting : &proc->sent;
}

pf_retry_item_t *
pf_retry_sched_add (pf_retry_sched_t *self, uint32_t proc, uint64_t seq, uint32_t partition,
                    uint32_t attempt, pf_retry_item_state_t state, int64_t at)
{
    s_grow (self, proc);
    pf_retry_item_t *item = (pf_retry_item_t *) zmalloc (sizeof (pf_retry_item_t));
    *item = (pf_retry_item_t) {
        .proc = proc, .seq = seq, .partition = partition, .attempt = attempt,
        .state = state, .at = at
    };
    int rc = pf_map_insert (self->items, s_item_hash (proc, seq), item, item);
    assert (rc == 0);
    s_heap_push (s_heap_of (self, item), item);
    self->procs [proc].counts [state]++;
    return item;
}

pf_retry_item_t *
pf_retry_sched_find (pf_retry_sched_t *self, uint32_t proc, uint64_t seq)
{
    pf_retry_item_t key = { .proc = proc, .seq = seq };
    return (pf_retry_item_t *) pf_map_lookup (self->items, s_item_hash (proc, seq), &key);
}

void
pf_retry_sched_remove (pf_retry_sched_t *self, pf_retry_item_t *item)
{
    s_heap_remove (s_heap_of (self, item), item);
    self->procs [item->proc].counts [item->state]--;
    pf_map_delete (self->items, s_item_hash (item->proc, item->seq), item);
    free (item);
}

void
pf_retry_sched_set (pf_retry_sched_t *self, pf_retry_item_t *item,
                    pf_retry_item_state_t state, int64_t at)
{
    s_heap_t *heap = s_heap_of (self, item);
    self->procs [item->proc].counts [item->state]--;
    self->procs [item->proc].counts [state]++;
    if ((item->state == PF_RETRY_ITEM_WAITING) == (state == PF_RETRY_ITEM_WAITING)) {
        //  Same heap: move it to its new place
        item->state = state;
        int64_t was = item->at;
        item->at = at;
        if (at < was)
            s_heap_up (heap, item->heap_index);
        else
            s_heap_down (heap, item->heap_index);
        return;
    }
    s_heap_remove (heap, item);
    item->state = state;
    item->at = at;
    s_heap_push (s_heap_of (self, item), item);
}

pf_retry_item_t *
pf_retry_sched_first_waiting (pf_retry_sched_t *self, uint32_t proc)
{
    if (proc >= self->proc_count)
        return NULL;
    s_heap_t *heap = &self->procs [proc].waiting;
    return heap->size ? heap->items [0] : NULL;
}

pf_retry_item_t *
pf_retry_sched_first_sent (pf_retry_sched_t *self, uint32_t proc)
{
    if (proc >= self->proc_count)
        return NULL;
    s_heap_t *heap = &self->procs [proc].sent;
    return heap->size ? heap->items [0] : NULL;
}

size_t
pf_retry_sched_count (pf_retry_sched_t *self, uint32_t proc, pf_retry_item_state_t state)
{
    if (proc != UINT32_MAX)
        return proc < self->proc_count ? self->procs [proc].counts [state] : 0;
    size_t count = 0;
    for (size_t index = 0; index < self->proc_count; index++)
        count += self->procs [index].counts [state];
    return count;
}
