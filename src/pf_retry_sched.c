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
    zhashx_t *items;            //  (proc, seq) -> pf_retry_item_t *, key = the item
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

static size_t
s_key_hash (const void *key)
{
    const pf_retry_item_t *item = (const pf_retry_item_t *) key;
    uint64_t hash = (item->seq ^ ((uint64_t) item->proc << 48)) * 0x9E3779B97F4A7C15ull;
    return (size_t) (hash ^ (hash >> 29));
}

static int
s_key_compare (const void *one, const void *two)
{
    const pf_retry_item_t *first = (const pf_retry_item_t *) one;
    const pf_retry_item_t *second = (const pf_retry_item_t *) two;
    if (first->proc != second->proc)
        return first->proc < second->proc ? -1 : 1;
    return first->seq == second->seq ? 0 : first->seq < second->seq ? -1 : 1;
}

pf_retry_sched_t *
pf_retry_sched_new (size_t procs)
{
    pf_retry_sched_t *self = (pf_retry_sched_t *) zmalloc (sizeof (pf_retry_sched_t));
    self->proc_count = procs;
    self->procs = (s_proc_t *) calloc (procs ? procs : 1, sizeof (s_proc_t));
    assert (self->procs);
    self->items = zhashx_new ();
    //  The key is the item itself: no copy, nothing to free
    zhashx_set_key_hasher (self->items, s_key_hash);
    zhashx_set_key_comparator (self->items, s_key_compare);
    zhashx_set_key_duplicator (self->items, NULL);
    zhashx_set_key_destructor (self->items, NULL);
    return self;
}

void
pf_retry_sched_clear (pf_retry_sched_t *self)
{
    for (pf_retry_item_t *item = (pf_retry_item_t *) zhashx_first (self->items); item;
         item = (pf_retry_item_t *) zhashx_next (self->items))
        free (item);
    zhashx_purge (self->items);
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
    zhashx_destroy (&self->items);
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
    int rc = zhashx_insert (self->items, item, item);
    assert (rc == 0);
    s_heap_push (s_heap_of (self, item), item);
    self->procs [proc].counts [state]++;
    return item;
}

pf_retry_item_t *
pf_retry_sched_find (pf_retry_sched_t *self, uint32_t proc, uint64_t seq)
{
    pf_retry_item_t key = { .proc = proc, .seq = seq };
    return (pf_retry_item_t *) zhashx_lookup (self->items, &key);
}

void
pf_retry_sched_remove (pf_retry_sched_t *self, pf_retry_item_t *item)
{
    s_heap_remove (s_heap_of (self, item), item);
    self->procs [item->proc].counts [item->state]--;
    zhashx_delete (self->items, item);
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
