//  test_map - pf_map: keyed by seq (as the proc keeps its open messages),
//  insert, lookup and delete, seq 0 and 2^64-1, growth, deletes in probe
//  chains that wrap past the table's end, purge, visiting every item, and a
//  million random operations checked against a plain array; keyed by byte
//  strings (as the proc keeps its lines), keys whose hashes are equal, and
//  a table that grows with the item count alone, however many lookups.

#include "pf_classes.h"
#include "../tap.h"

//  The map's home slot for seq (its hash, masked, as in pf_map.c), so the
//  tests can build probe chains on purpose; test_wrap checks it matches.
static size_t
s_home (uint64_t seq, size_t capacity)
{
    return (size_t) pf_map_hash_seq (seq) & (capacity - 1);
}

//  A map keyed by seq, as the proc's scheduler uses it
static int
s_insert (pf_map_t *map, uint64_t seq, void *item)
{
    return pf_map_insert (map, pf_map_hash_seq (seq), NULL, item);
}

static void *
s_lookup (pf_map_t *map, uint64_t seq)
{
    return pf_map_lookup (map, pf_map_hash_seq (seq), NULL);
}

static void *
s_delete (pf_map_t *map, uint64_t seq)
{
    return pf_map_delete (map, pf_map_hash_seq (seq), NULL);
}

//  Items are pointers into this array; any non-NULL pointer would do
static char s_items [64];
#define ITEM(n) ((void *) &s_items [n])

static void
test_basics (void)
{
    pf_map_t *map = pf_map_new (NULL);
    ok (map != NULL, "pf_map_new gives a map");
    is_int (pf_map_size (map), 0, "a new map is empty");
    size_t capacity = pf_map_capacity (map);
    ok (capacity >= 16 && (capacity & (capacity - 1)) == 0,
        "a new map has a power-of-two capacity (%zu)", capacity);
    ok (s_lookup (map, 1) == NULL, "lookup in an empty map returns NULL");
    ok (s_delete (map, 1) == NULL, "delete in an empty map returns NULL");
    ok (pf_map_first (map) == NULL, "first in an empty map returns NULL");

    is_int (s_insert (map, 7, ITEM (1)), 0, "insert of a new seq returns 0");
    is_int (pf_map_size (map), 1, "after one insert the size is 1");
    ok (s_lookup (map, 7) == ITEM (1),
        "lookup returns the item inserted under the seq");
    ok (s_lookup (map, 8) == NULL, "lookup of another seq returns NULL");

    is_int (s_insert (map, 7, ITEM (2)), -1,
            "insert of a seq already in the map returns -1");
    ok (s_lookup (map, 7) == ITEM (1) && pf_map_size (map) == 1,
        "and leaves the map unchanged");

    is_int (s_insert (map, 0, ITEM (3)), 0, "seq 0 can be inserted");
    is_int (s_insert (map, UINT64_MAX, ITEM (4)), 0, "seq 2^64-1 can be inserted");
    ok (s_lookup (map, 0) == ITEM (3), "seq 0 is found");
    ok (s_lookup (map, UINT64_MAX) == ITEM (4), "seq 2^64-1 is found");
    is_int (pf_map_size (map), 3, "size counts seq 0 and 2^64-1");

    ok (s_delete (map, 7) == ITEM (1), "delete returns the item of the seq");
    ok (s_lookup (map, 7) == NULL, "a deleted seq is no longer found");
    ok (s_delete (map, 7) == NULL, "deleting it again returns NULL");
    is_int (pf_map_size (map), 2, "size drops by one after a delete");
    ok (s_delete (map, 0) == ITEM (3) && s_lookup (map, 0) == NULL,
        "seq 0 can be deleted");
    is_int (s_insert (map, 7, ITEM (5)), 0, "a deleted seq can be inserted again");
    ok (s_lookup (map, 7) == ITEM (5), "and is found with its new item");

    pf_map_destroy (&map);
    ok (map == NULL, "destroy sets the pointer to NULL");
    pf_map_destroy (&map);
    ok (map == NULL, "destroy of a NULL pointer is harmless");
}

//  Seqs whose home slot is home, in a table of capacity slots.
static void
s_seqs_at (size_t home, size_t capacity, uint64_t *seqs, size_t count, uint64_t *from)
{
    for (size_t index = 0; index < count; (*from)++)
        if (s_home (*from, capacity) == home)
            seqs [index++] = *from;
}

//  True if every seq in seqs [0..count) is found with ITEM (base + index).
static bool
s_all_found (pf_map_t *map, const uint64_t *seqs, size_t count, int base)
{
    for (size_t index = 0; index < count; index++)
        if (s_lookup (map, seqs [index]) != ITEM (base + (int) index))
            return false;
    return true;
}

static void
test_wrap (void)
{
    pf_map_t *map = pf_map_new (NULL);
    size_t capacity = pf_map_capacity (map);
    uint64_t from = 1;
    uint64_t last [4], first [2];
    s_seqs_at (capacity - 1, capacity, last, 4, &from);
    s_seqs_at (0, capacity, first, 2, &from);

    //  Four seqs at home in the last slot: one there, three wrapped to 0..2
    for (int index = 0; index < 4; index++)
        s_insert (map, last [index], ITEM (index));
    void *order [4];
    order [0] = pf_map_first (map);
    for (int index = 1; index < 4; index++)
        order [index] = pf_map_next (map);
    ok (order [0] == ITEM (1) && order [1] == ITEM (2) && order [2] == ITEM (3)
        && order [3] == ITEM (0) && pf_map_next (map) == NULL,
        "four seqs at home in the last slot: the later three wrap to the table's start "
        "(so this test's home slot matches the map's)");

    //  Two seqs at home in slot 0 go after the wrapped ones, in slots 3 and 4
    for (int index = 0; index < 2; index++)
        s_insert (map, first [index], ITEM (10 + index));
    ok (s_all_found (map, last, 4, 0) && s_all_found (map, first, 2, 10),
        "two seqs at home in slot 0 are found behind the wrapped chain");

    ok (s_delete (map, last [0]) == ITEM (0),
        "delete of the seq in the last slot, with its chain wrapped past the end");
    ok (s_all_found (map, last + 1, 3, 1) && s_all_found (map, first, 2, 10),
        "every other seq of the wrapped chain is still found");
    void *item = pf_map_first (map), *final = NULL;
    order [0] = item;
    int visited = 0;
    for (; item; item = pf_map_next (map)) {
        final = item;
        visited++;
    }
    ok (visited == 5 && order [0] == ITEM (2) && final == ITEM (1),
        "the chain moved back across the end: the first wrapped seq now sits in the "
        "last slot");

    ok (s_delete (map, last [2]) == ITEM (2),
        "delete from the middle of the wrapped part of the chain");
    ok (s_all_found (map, last + 3, 1, 3) && s_lookup (map, last [1]) == ITEM (1)
        && s_all_found (map, first, 2, 10) && s_lookup (map, last [2]) == NULL,
        "the rest of the chain, from both homes, is still found");
    ok (s_delete (map, first [0]) == ITEM (10)
        && s_lookup (map, first [1]) == ITEM (11)
        && s_lookup (map, last [1]) == ITEM (1)
        && s_lookup (map, last [3]) == ITEM (3),
        "delete of a seq at home in slot 0 behind the wrapped ones keeps the others");
    ok (s_delete (map, last [1]) && s_delete (map, last [3])
        && s_delete (map, first [1]) && pf_map_size (map) == 0
        && pf_map_first (map) == NULL,
        "deleting the rest empties the map");

    //  Many rounds over a crowded end of the table: chains of several homes
    //  wrap past the end; delete them in a random order each round
    uint64_t crowd [40];
    from = 1;
    for (int index = 0; index < 40; index++)
        s_seqs_at (capacity - 1 - (size_t) (index % 5), capacity, crowd + index, 1, &from);
    uint64_t state = 3;
    bool right = true;
    for (int round = 0; round < 200; round++) {
        bool in [40] = { false };
        for (int index = 0; index < 40; index++)
            if (tap_random (&state) & 1) {
                s_insert (map, crowd [index], ITEM (index));
                in [index] = true;
            }
        for (int step = 0; step < 60; step++) {
            int index = (int) (tap_random (&state) % 40);
            void *item = s_delete (map, crowd [index]);
            right = right && item == (in [index] ? ITEM (index) : NULL);
            in [index] = false;
            for (int check = 0; check < 40; check++)
                right = right && s_lookup (map, crowd [check])
                                 == (in [check] ? ITEM (check) : NULL);
        }
        for (int index = 0; index < 40; index++)
            s_delete (map, crowd [index]);
        right = right && pf_map_size (map) == 0;
    }
    ok (right, "200 rounds of deletes in random order from chains of 5 homes wrapping past "
               "the end: every lookup right after every delete");
    is_int (pf_map_capacity (map), capacity, "and the map did not grow");
    pf_map_destroy (&map);
}

static void
test_growth (void)
{
    pf_map_t *map = pf_map_new (NULL);
    size_t capacity = pf_map_capacity (map);
    bool doubles = true, load = true;
    size_t grew = 0;
    const uint64_t total = 1000000;
    for (uint64_t seq = 1; seq <= total; seq++) {
        s_insert (map, seq, (void *) (uintptr_t) seq);
        size_t now = pf_map_capacity (map);
        if (now != capacity) {
            doubles = doubles && now == capacity * 2;
            //  It grew for this insert: without growing it would have passed 5/8
            load = load && (seq * 8 > capacity * 5);
            capacity = now;
            grew++;
        }
        load = load && seq * 8 <= capacity * 5;
    }
    ok (grew >= 10, "1,000,000 inserts grow the map many times (%zu)", grew);
    ok (doubles, "each growth doubles the capacity");
    ok (load, "the map grows only when an insert would take it past 5/8 full, and then does");
    is_int (pf_map_size (map), total, "the size is 1,000,000");
    size_t found = 0;
    for (uint64_t seq = 1; seq <= total; seq++)
        if (s_lookup (map, seq) == (void *) (uintptr_t) seq)
            found++;
    is_int (found, total, "all 1,000,000 seqs are found with their items after the growths");
    ok (s_lookup (map, 0) == NULL && s_lookup (map, total + 1) == NULL,
        "seqs outside the inserted range are not found");

    //  A window sliding over consecutive seqs, as in the proc: no growth
    for (uint64_t seq = 1; seq <= 4 * total; seq++) {
        s_delete (map, seq);
        s_insert (map, seq + total, (void *) (uintptr_t) (seq + total));
    }
    is_int (pf_map_capacity (map), capacity,
            "a window of 1,000,000 seqs sliding over 4,000,000 more does not grow the map");
    found = 0;
    for (uint64_t seq = 4 * total + 1; seq <= 5 * total; seq++)
        if (s_lookup (map, seq) == (void *) (uintptr_t) seq)
            found++;
    is_int (found, total, "and the window's 1,000,000 seqs are all found");
    ok (s_lookup (map, 4 * total) == NULL, "a seq that left the window is not found");
    pf_map_destroy (&map);
}

static void
test_purge (void)
{
    pf_map_t *map = pf_map_new (NULL);
    for (uint64_t seq = 1; seq <= 10000; seq++)
        s_insert (map, seq, ITEM (seq % 64));
    size_t capacity = pf_map_capacity (map);
    pf_map_purge (map);
    is_int (pf_map_size (map), 0, "after purge the size is 0");
    bool gone = true;
    for (uint64_t seq = 1; seq <= 10000; seq++)
        gone = gone && s_lookup (map, seq) == NULL;
    ok (gone, "after purge no seq is found");
    ok (pf_map_first (map) == NULL, "after purge first returns NULL");
    is_int (pf_map_capacity (map), capacity, "purge keeps the capacity");
    for (uint64_t seq = 1; seq <= 10000; seq++)
        s_insert (map, seq, ITEM (seq % 64));
    is_int (pf_map_capacity (map), capacity, "refilling to the same size does not grow it");
    ok (s_lookup (map, 5000) == ITEM (5000 % 64) && pf_map_size (map) == 10000,
        "seqs inserted after a purge are found");
    pf_map_purge (map);
    pf_map_purge (map);
    is_int (pf_map_size (map), 0, "purging an empty map is harmless");
    pf_map_destroy (&map);
}

static void
test_iterate (void)
{
    pf_map_t *map = pf_map_new (NULL);
    const size_t total = 50000;
    unsigned char *seen = (unsigned char *) calloc (total, 1);
    //  Items are 1-based indexes into seen; seqs are random
    uint64_t state = 11;
    for (size_t index = 0; index < total; index++)
        s_insert (map, tap_random (&state), (void *) (uintptr_t) (index + 1));
    size_t visits = 0;
    bool once = true;
    for (void *item = pf_map_first (map); item; item = pf_map_next (map)) {
        size_t index = (size_t) (uintptr_t) item - 1;
        visits++;
        once = once && index < total && seen [index]++ == 0;
    }
    is_int (visits, total, "first and next visit as many items as the size");
    ok (once, "and each item exactly once");
    ok (pf_map_next (map) == NULL, "next after the end keeps returning NULL");

    //  Collect, then delete: the way callers empty the map
    void **collected = (void **) malloc (total * sizeof (void *));
    size_t count = 0;
    for (void *item = pf_map_first (map); item; item = pf_map_next (map))
        collected [count++] = item;
    state = 11;
    for (size_t index = 0; index < total; index++)
        s_delete (map, tap_random (&state));
    is_int (pf_map_size (map), 0, "deleting every seq after a visit empties the map");
    ok (count == total && pf_map_first (map) == NULL, "and a visit then finds nothing");

    s_insert (map, 1, ITEM (1));
    s_insert (map, 2, ITEM (2));
    s_insert (map, 3, ITEM (3));
    pf_map_first (map);
    s_delete (map, 2);
    ok (pf_map_next (map) == NULL, "a delete during a visit ends the visit");
    pf_map_first (map);
    s_insert (map, 4, ITEM (4));
    ok (pf_map_next (map) == NULL, "an insert during a visit ends the visit");
    free (collected);
    free (seen);
    pf_map_destroy (&map);
}

//  A million random inserts, lookups and deletes over a universe of known
//  seqs, half of them consecutive from 0 and half random, checked against
//  a plain array of which are in. The mix of operations swings between
//  filling and draining, so the map grows through several sizes and
//  deletes run through long chains.
static void
test_reference (void)
{
    const size_t universe = 1 << 17;
    uint64_t *seqs = (uint64_t *) malloc (universe * sizeof (uint64_t));
    bool *in = (bool *) calloc (universe, sizeof (bool));
    uint64_t state = 2026;
    for (size_t index = 0; index < universe; index++)
        seqs [index] = index < universe / 2 ? index : tap_random (&state) | (1ULL << 63);

    pf_map_t *map = pf_map_new (NULL);
    size_t count = 0, wrong = 0, max_size = 0;
    size_t inserts = 0, deletes = 0, hits = 0;
    const size_t operations = 1000000;
    for (size_t step = 0; step < operations; step++) {
        //  Phases of 250,000: insert-heavy, then delete-heavy, twice
        bool filling = (step / 250000) % 2 == 0;
        uint64_t roll = tap_random (&state);
        size_t index = (size_t) (roll >> 20) % universe;
        void *item = (void *) (uintptr_t) (index + 1);
        unsigned choice = (unsigned) (roll % 10);
        if (choice < (filling ? 6u : 2u)) {
            int rc = s_insert (map, seqs [index], item);
            if (rc != (in [index] ? -1 : 0))
                wrong++;
            if (!in [index]) {
                in [index] = true;
                count++;
                inserts++;
            }
        }
        else
        if (choice < 8) {
            void *got = s_delete (map, seqs [index]);
            if (got != (in [index] ? item : NULL))
                wrong++;
            if (in [index]) {
                in [index] = false;
                count--;
                deletes++;
            }
        }
        else {
            void *got = s_lookup (map, seqs [index]);
            if (got != (in [index] ? item : NULL))
                wrong++;
            hits += got != NULL;
        }
        if (pf_map_size (map) != count)
            wrong++;
        if (count > max_size)
            max_size = count;
        if (step % 100000 == 99999)
            for (size_t check = 0; check < universe; check++)
                if (s_lookup (map, seqs [check])
                    != (in [check] ? (void *) (uintptr_t) (check + 1) : NULL))
                    wrong++;
    }
    diag ("%zu inserts, %zu deletes, %zu lookups found, largest size %zu, capacity %zu",
          inserts, deletes, hits, max_size, pf_map_capacity (map));
    is_int (wrong, 0, "1,000,000 random inserts, lookups and deletes all agree with the "
                      "reference, and so does every seq at every 100,000th step");
    ok (max_size > universe / 2 && inserts > 150000 && deletes > 150000,
        "the run filled past half the universe and made over 150,000 inserts and deletes");

    size_t visits = 0;
    bool visit_right = true;
    for (void *item = pf_map_first (map); item; item = pf_map_next (map)) {
        size_t index = (size_t) (uintptr_t) item - 1;
        visits++;
        visit_right = visit_right && index < universe && in [index];
    }
    ok (visits == count && visit_right, "a visit afterwards gives exactly the seqs the "
                                        "reference holds (%zu)", count);
    pf_map_destroy (&map);
    free (in);
    free (seqs);
}

//  While the table grows its items move a few at a time: every lookup,
//  delete and visit must see both the old table and the new one.
static void
test_growing (void)
{
    pf_map_t *map = pf_map_new (NULL);
    size_t capacity = pf_map_capacity (map);
    uint64_t seq = 1;
    bool found_all = true;
    //  Insert one by one until just past the first doubling, checking every
    //  key after every insert
    while (pf_map_capacity (map) == capacity) {
        s_insert (map, seq, (void *) (uintptr_t) seq);
        for (uint64_t check = 1; check <= seq; check++)
            found_all = found_all && s_lookup (map, check) == (void *) (uintptr_t) check;
        seq++;
    }
    ok (found_all, "every key is found after every insert up to the doubling (%zu keys)",
        (size_t) seq - 1);

    //  Right after the doubling most items are still in the old table
    size_t doubled = pf_map_capacity (map);
    size_t visits = 0;
    bool once = true;
    unsigned char *seen = (unsigned char *) calloc (seq, 1);
    for (void *item = pf_map_first (map); item; item = pf_map_next (map)) {
        uintptr_t value = (uintptr_t) item;
        visits++;
        once = once && value < seq && seen [value]++ == 0;
    }
    ok (visits == pf_map_size (map) && once,
        "a visit in the middle of the growth gives each item once (%zu)", visits);

    //  Delete every other key, many of them still in the old table
    bool deleted = true;
    size_t expected = (size_t) seq - 1;
    for (uint64_t key = 1; key < seq; key += 2, expected--)
        deleted = deleted && s_delete (map, key) == (void *) (uintptr_t) key;
    ok (deleted, "deletes in the middle of the growth find their keys");
    bool right = true;
    for (uint64_t key = 1; key < seq; key++)
        right = right && s_lookup (map, key) == (key % 2 ? NULL : (void *) (uintptr_t) key);
    ok (right, "and leave exactly the other keys");

    //  Inserts go on: the old table empties, then the next doubling
    uint64_t last = seq + 4 * capacity;
    for (; seq < last; seq++, expected++)
        s_insert (map, seq, (void *) (uintptr_t) seq);
    right = pf_map_size (map) == expected && pf_map_capacity (map) > doubled;
    for (uint64_t key = 1; key < last; key++) {
        bool in = key >= last - 4 * capacity || key % 2 == 0;
        right = right && s_lookup (map, key) == (in ? (void *) (uintptr_t) key : NULL);
    }
    ok (right, "after %zu more inserts, through another doubling, every key is where it "
               "should be", 4 * capacity);
    free (seen);
    pf_map_destroy (&map);
}

//  ---- Keyed by byte strings ------------------------------------------------------

//  An item holding its key, as a proc's line does
typedef struct {
    size_t size;
    char key [16];
} s_named_t;

typedef struct {
    const char *data;
    size_t size;
} s_key_t;

static bool
s_named_is (const void *item, const void *key)
{
    const s_named_t *named = (const s_named_t *) item;
    const s_key_t *wanted = (const s_key_t *) key;
    return named->size == wanted->size && memcmp (named->key, wanted->data, wanted->size) == 0;
}

static void
test_keys (void)
{
    pf_map_t *map = pf_map_new (s_named_is);
    s_named_t alpha = { 5, "alpha" }, beta = { 4, "beta" }, alpha2 = { 6, "alpha2" };
    s_key_t alpha_key = { "alpha", 5 }, beta_key = { "beta", 4 }, alpha2_key = { "alpha2", 6 };
    s_key_t prefix_key = { "alph", 4 };
    ok (pf_map_hash_bytes ("alpha", 5) == pf_map_hash_bytes ("alpha", 5)
        && pf_map_hash_bytes ("alpha", 5) != pf_map_hash_bytes ("alpha", 4)
        && pf_map_hash_bytes ("", 0) != pf_map_hash_bytes ("\0", 1),
        "pf_map_hash_bytes depends on every byte and on the length");

    is_int (pf_map_insert (map, pf_map_hash_bytes ("alpha", 5), &alpha_key, &alpha), 0,
            "insert of a byte-string key returns 0");
    is_int (pf_map_insert (map, pf_map_hash_bytes ("beta", 4), &beta_key, &beta), 0,
            "a second key is inserted");
    ok (pf_map_lookup (map, pf_map_hash_bytes ("alpha", 5), &alpha_key) == &alpha
        && pf_map_lookup (map, pf_map_hash_bytes ("beta", 4), &beta_key) == &beta,
        "each key finds its own item");
    ok (pf_map_lookup (map, pf_map_hash_bytes ("alph", 4), &prefix_key) == NULL,
        "a prefix of a key is not found");
    is_int (pf_map_insert (map, pf_map_hash_bytes ("alpha", 5), &alpha_key, &alpha2), -1,
            "insert of a key already in the map returns -1");

    //  Keys whose hashes are equal: the match function tells them apart
    uint64_t same = 42;
    is_int (pf_map_insert (map, same, &alpha_key, &alpha), 0,
            "under a forced hash, a first key is inserted");
    is_int (pf_map_insert (map, same, &alpha2_key, &alpha2), 0,
            "a second key with the very same hash is a different key");
    ok (pf_map_lookup (map, same, &alpha_key) == &alpha
        && pf_map_lookup (map, same, &alpha2_key) == &alpha2
        && pf_map_lookup (map, same, &beta_key) == NULL,
        "lookups with equal hashes find the item whose key matches, and only that");
    ok (pf_map_delete (map, same, &alpha_key) == &alpha
        && pf_map_lookup (map, same, &alpha2_key) == &alpha2
        && pf_map_lookup (map, same, &alpha_key) == NULL,
        "deleting one of them keeps the other");
    is_int (pf_map_size (map), 3, "the size counts each key once");
    pf_map_destroy (&map);

    //  A million distinct keys, each looked up three times, the way a proc
    //  meets a key per message: the table follows the item count alone (it
    //  was czmq's zhashx that doubled on long chains met by lookups)
    const size_t total = 1000000;
    s_named_t *items = (s_named_t *) malloc (total * sizeof (s_named_t));
    map = pf_map_new (s_named_is);
    uint64_t state = 99;
    size_t wrong = 0;
    for (size_t index = 0; index < total; index++) {
        s_named_t *item = &items [index];
        item->size = 12;
        snprintf (item->key, sizeof item->key, "%012" PRIx64,
                  (tap_random (&state) >> 16) ^ (uint64_t) index);
        s_key_t key = { item->key, item->size };
        uint64_t hash = pf_map_hash_bytes (item->key, item->size);
        void *found = pf_map_lookup (map, hash, &key);
        if (found)              //  the rare random repeat: it is a duplicate key
            item->size = 0;
        else
        if (pf_map_insert (map, hash, &key, item) != 0
        ||  pf_map_lookup (map, hash, &key) != item)
            wrong++;
    }
    size_t inserted = pf_map_size (map);
    for (size_t index = 0; index < total; index++) {
        s_named_t *item = &items [index];
        s_key_t key = { item->key, 12 };
        void *found = pf_map_lookup (map, pf_map_hash_bytes (item->key, 12), &key);
        if (item->size && found != item)
            wrong++;
    }
    is_int (wrong, 0, "a million 12-character keys are each found with their item");
    ok (inserted > total - 100, "nearly all of them distinct (%zu)", inserted);
    //  5/8 full at most, and at least 5/16 after a doubling
    ok (pf_map_capacity (map) * 5 >= inserted * 8 && pf_map_capacity (map) * 5 < inserted * 16,
        "the table holds %zu slots for %zu keys: between 8/5 and 16/5 slots a key",
        pf_map_capacity (map), inserted);
    pf_map_destroy (&map);
    free (items);
}

int
main (void)
{
    test_basics ();
    test_wrap ();
    test_growth ();
    test_purge ();
    test_iterate ();
    test_reference ();
    test_growing ();
    test_keys ();
    return done_testing ();
}
