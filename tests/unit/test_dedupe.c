//  test_dedupe - pf_dedupe: the proc's in-memory index from id hash to the
//  store seqs that may hold that id. Finding candidates, several seqs under
//  one hash, removing, expiring below a floor, segments, and growth to a
//  million ids a little at a time.

#include "pf_classes.h"
#include "../tap.h"

//  True if seq is among the candidates for hash.
static bool
s_has (pf_dedupe_t *dedupe, uint64_t hash, uint64_t seq)
{
    size_t cursor = 0;
    uint64_t found;
    while ((found = pf_dedupe_find (dedupe, hash, &cursor)))
        if (found == seq)
            return true;
    return false;
}

//  Number of candidates for hash.
static size_t
s_candidates (pf_dedupe_t *dedupe, uint64_t hash)
{
    size_t cursor = 0, count = 0;
    while (pf_dedupe_find (dedupe, hash, &cursor))
        count++;
    return count;
}

static void
test_basics (void)
{
    pf_dedupe_t *dedupe = pf_dedupe_new ();
    ok (dedupe != NULL, "pf_dedupe_new gives an index");
    is_int (pf_dedupe_size (dedupe), 0, "a new index is empty");
    ok (pf_dedupe_memory (dedupe) > 0, "a new index reports the memory it holds");

    size_t cursor = 0;
    is_int (pf_dedupe_find (dedupe, 12345, &cursor), 0, "find in an empty index returns 0");

    pf_dedupe_insert (dedupe, 12345, 7);
    is_int (pf_dedupe_size (dedupe), 1, "after one insert the size is 1");
    cursor = 0;
    is_int (pf_dedupe_find (dedupe, 12345, &cursor), 7, "find returns the seq inserted under the hash");
    is_int (pf_dedupe_find (dedupe, 12345, &cursor), 0, "the next find with the same cursor returns 0");
    is_int (pf_dedupe_find (dedupe, 12345, &cursor), 0, "and keeps returning 0");
    is_int (s_candidates (dedupe, 54321), 0, "a hash never inserted has no candidates");
    is_int (s_candidates (dedupe, 12345 + 1024), 0,
            "a hash with the same low bits but another value has no candidates");

    pf_dedupe_insert (dedupe, UINT64_MAX, 8);
    ok (s_has (dedupe, UINT64_MAX, 8), "hash 2^64-1 works");

    pf_dedupe_destroy (&dedupe);
    ok (dedupe == NULL, "destroy sets the pointer to NULL");
    pf_dedupe_destroy (&dedupe);
    ok (dedupe == NULL, "destroy of a NULL pointer is harmless");
}

static void
test_shared_hash (void)
{
    pf_dedupe_t *dedupe = pf_dedupe_new ();
    const uint64_t hash = 0x5555;

    //  Interleave entries of other hashes that fall in the same and the
    //  following slots, so the probe chain is mixed
    pf_dedupe_insert (dedupe, hash, 1);
    pf_dedupe_insert (dedupe, hash + 1024, 100);
    pf_dedupe_insert (dedupe, hash, 2);
    pf_dedupe_insert (dedupe, hash + 1, 101);
    pf_dedupe_insert (dedupe, hash + (1 << 20), 102);
    pf_dedupe_insert (dedupe, hash, 3);
    pf_dedupe_insert (dedupe, hash, 4);

    size_t cursor = 0;
    uint64_t found, mask = 0;
    size_t count = 0;
    while ((found = pf_dedupe_find (dedupe, hash, &cursor))) {
        count++;
        if (found >= 1 && found <= 4)
            mask |= 1u << found;
    }
    is_int (count, 4, "iterating the cursor gives exactly the 4 seqs under one hash");
    is_int (mask, 0x1E, "the 4 seqs are 1, 2, 3 and 4, each once");
    ok (s_has (dedupe, hash + 1024, 100) && s_has (dedupe, hash + 1, 101)
        && s_has (dedupe, hash + (1 << 20), 102),
        "the entries of neighbouring hashes are found too");
    is_int (s_candidates (dedupe, hash + 1024), 1, "a neighbouring hash has only its own candidate");
    is_int (pf_dedupe_size (dedupe), 7, "size counts every entry, shared hash or not");

    pf_dedupe_insert (dedupe, hash, 2);
    is_int (s_candidates (dedupe, hash), 5,
            "inserting the same hash and seq again gives a second entry (the store tells them apart)");
    pf_dedupe_destroy (&dedupe);
}

static void
test_hash_zero (void)
{
    pf_dedupe_t *dedupe = pf_dedupe_new ();
    size_t cursor = 0;
    is_int (pf_dedupe_find (dedupe, 0, &cursor), 0, "find of hash 0 in an empty index returns 0");

    pf_dedupe_insert (dedupe, 0, 42);
    is_int (pf_dedupe_size (dedupe), 1, "an entry with hash 0 counts in size");
    ok (s_has (dedupe, 0, 42), "an entry with hash 0 is found");
    pf_dedupe_insert (dedupe, 0, 43);
    is_int (s_candidates (dedupe, 0), 2, "several seqs under hash 0 are all found");

    pf_dedupe_remove (dedupe, 0, 42);
    ok (!s_has (dedupe, 0, 42) && s_has (dedupe, 0, 43), "an entry with hash 0 can be removed");
    pf_dedupe_destroy (&dedupe);
}

static void
test_remove (void)
{
    pf_dedupe_t *dedupe = pf_dedupe_new ();
    pf_dedupe_insert (dedupe, 99, 1);
    pf_dedupe_insert (dedupe, 99, 2);
    pf_dedupe_insert (dedupe, 99 + 1024, 3);    //  same home slot, later in the chain
    pf_dedupe_insert (dedupe, 100, 4);          //  the next slot

    pf_dedupe_remove (dedupe, 99, 1);
    ok (!s_has (dedupe, 99, 1), "a removed entry is no longer found");
    ok (s_has (dedupe, 99, 2), "another seq under the same hash is still found");
    ok (s_has (dedupe, 99 + 1024, 3) && s_has (dedupe, 100, 4),
        "entries later in the probe chain are still found after a remove");
    is_int (pf_dedupe_size (dedupe), 3, "size drops by one after a remove");

    pf_dedupe_remove (dedupe, 99, 2);
    is_int (s_candidates (dedupe, 99), 0, "after removing both seqs the hash has no candidates");
    ok (s_has (dedupe, 99 + 1024, 3), "the chain past two removed slots is intact");

    pf_dedupe_remove (dedupe, 100, 5);
    ok (s_has (dedupe, 100, 4), "remove with the right hash but another seq removes nothing");
    pf_dedupe_remove (dedupe, 101, 4);
    ok (s_has (dedupe, 100, 4), "remove with the right seq but another hash removes nothing");
    pf_dedupe_remove (dedupe, 777777, 1);
    is_int (pf_dedupe_size (dedupe), 2, "removing what was never inserted is harmless");

    pf_dedupe_insert (dedupe, 99, 1);
    ok (s_has (dedupe, 99, 1), "an entry can be inserted again after its remove");
    is_int (pf_dedupe_size (dedupe), 3, "the re-inserted entry counts in size");

    //  Insert and remove many times: removed slots are reused or swept,
    //  so the index does not grow
    size_t memory = pf_dedupe_memory (dedupe);
    uint64_t state = 1;
    for (uint64_t seq = 1000; seq < 201000; seq++) {
        uint64_t hash = tap_random (&state);
        pf_dedupe_insert (dedupe, hash, seq);
        pf_dedupe_remove (dedupe, hash, seq);
    }
    is_int (pf_dedupe_memory (dedupe), memory, "200000 inserts each followed by its remove do not grow the index");
    is_int (pf_dedupe_size (dedupe), 3, "and leave the size as it was");
    ok (s_has (dedupe, 99, 1) && s_has (dedupe, 99 + 1024, 3) && s_has (dedupe, 100, 4),
        "and the entries from before are all still found");
    pf_dedupe_destroy (&dedupe);
}

static void
test_expire (void)
{
    pf_dedupe_t *dedupe = pf_dedupe_new ();
    for (uint64_t seq = 1; seq <= 10; seq++)
        pf_dedupe_insert (dedupe, 1000 + seq, seq);
    pf_dedupe_insert (dedupe, 5000, 3);
    pf_dedupe_insert (dedupe, 5000, 8);

    pf_dedupe_expire (dedupe, 6);
    bool hidden = true, kept = true;
    for (uint64_t seq = 1; seq <= 5; seq++)
        hidden = hidden && s_candidates (dedupe, 1000 + seq) == 0;
    for (uint64_t seq = 6; seq <= 10; seq++)
        kept = kept && s_has (dedupe, 1000 + seq, seq);
    ok (hidden, "after expire (6), entries with seq 1 to 5 are not found");
    ok (kept, "after expire (6), entries with seq 6 to 10 (at and above the floor) are found");
    ok (!s_has (dedupe, 5000, 3) && s_has (dedupe, 5000, 8) && s_candidates (dedupe, 5000) == 1,
        "under one hash, only the seq at or above the floor is a candidate");
    is_int (pf_dedupe_size (dedupe), 6, "size counts only entries at or above the floor");

    pf_dedupe_expire (dedupe, 3);
    ok (s_candidates (dedupe, 1004) == 0 && pf_dedupe_size (dedupe) == 6,
        "a lower floor later does not bring expired entries back");
    pf_dedupe_expire (dedupe, 6);
    is_int (pf_dedupe_size (dedupe), 6, "expiring to the same floor again changes nothing");

    pf_dedupe_insert (dedupe, 1001, 11);
    ok (s_has (dedupe, 1001, 11) && s_candidates (dedupe, 1001) == 1,
        "a hash whose entry expired can be inserted again and has just the new seq");

    pf_dedupe_expire (dedupe, 12);
    is_int (pf_dedupe_size (dedupe), 0, "expire above every seq empties the index");

    //  Rounds of filling and expiring: once the first round has sized the
    //  index, expired slots are reused (or swept), so the index keeps its
    //  size, and only the newest round is found
    size_t memory = 0;
    uint64_t seq = 100;
    bool newest_only = true;
    for (int round = 0; round < 100; round++) {
        if (round == 1)
            memory = pf_dedupe_memory (dedupe);
        uint64_t first = seq;
        for (uint64_t hash = 1; hash <= 700; hash++)
            pf_dedupe_insert (dedupe, hash, seq++);
        if (round % 10 == 9)
            for (uint64_t hash = 1; hash <= 700; hash++)
                newest_only = newest_only && s_candidates (dedupe, hash) == 1
                           && s_has (dedupe, hash, first + hash - 1);
        pf_dedupe_expire (dedupe, seq);
    }
    ok (newest_only, "in 100 rounds of 700 inserts then expire, only the newest round is found");
    is_int (pf_dedupe_memory (dedupe), memory, "the next 69300 inserts reuse expired slots: the index does not grow");
    is_int (pf_dedupe_size (dedupe), 0, "the last expire leaves the index empty");

    //  Expired entries stay hidden across growth (a rehash drops them)
    pf_dedupe_t *growing = pf_dedupe_new ();
    for (uint64_t index = 1; index <= 100; index++)
        pf_dedupe_insert (growing, index, index);
    pf_dedupe_expire (growing, 51);
    uint64_t state = 7;
    for (uint64_t index = 101; index <= 20100; index++)
        pf_dedupe_insert (growing, tap_random (&state), index);
    assert (pf_dedupe_memory (growing) > memory);   //  the index grew
    bool old_hidden = true, old_kept = true;
    for (uint64_t index = 1; index <= 50; index++)
        old_hidden = old_hidden && !s_has (growing, index, index);
    for (uint64_t index = 51; index <= 100; index++)
        old_kept = old_kept && s_has (growing, index, index);
    ok (old_hidden, "entries expired before the index grew stay hidden after it grew");
    ok (old_kept, "live entries from before the growth are found after it");
    is_int (pf_dedupe_size (growing), 20050, "size counts the live entries after growth");
    pf_dedupe_destroy (&growing);
    pf_dedupe_destroy (&dedupe);
}

static void
test_growth (void)
{
    const size_t total = 1000000;
    pf_dedupe_t *dedupe = pf_dedupe_new ();
    uint64_t state = 42;
    double worst = 0;
    double largest_step = 0;       //  growth of the index at one insert, as a share of it
    for (size_t index = 0; index < total; index++) {
        size_t before = pf_dedupe_memory (dedupe);
        pf_dedupe_insert (dedupe, tap_random (&state), index + 1);
        if (index + 1 >= 100000) {
            size_t after = pf_dedupe_memory (dedupe);
            double per_entry = (double) after / (double) (index + 1);
            if (per_entry > worst)
                worst = per_entry;
            double step = (double) (after - before) / (double) before;
            if (step > largest_step)
                largest_step = step;
        }
    }
    is_int (pf_dedupe_size (dedupe), total, "after 1,000,000 random inserts the size is 1,000,000");

    state = 42;
    size_t found = 0;
    for (size_t index = 0; index < total; index++)
        if (s_has (dedupe, tap_random (&state), index + 1))
            found++;
    is_int (found, total, "all 1,000,000 entries are found after many rehashes");

    size_t strangers = 0;
    for (int index = 0; index < 1000; index++)
        strangers += s_candidates (dedupe, tap_random (&state));
    is_int (strangers, 0, "1000 hashes never inserted have no candidates");

    double per_entry = (double) pf_dedupe_memory (dedupe) / (double) total;
    ok (per_entry < 48, "1,000,000 entries take under 48 bytes each (%.1f)", per_entry);
    ok (worst < 48, "from 100,000 to 1,000,000 entries, memory never passes 48 bytes a live entry "
                    "(worst %.1f)", worst);
    //  A rehash walks the table it replaces: growing a small part at a time
    //  is what keeps each insert's stall small
    ok (largest_step < 0.02, "no insert grows the index by more than 2%% at once (largest %.2f%%)",
        largest_step * 100);

    //  Remove every other entry: the rest are still found
    state = 42;
    for (size_t index = 0; index < total; index++) {
        uint64_t hash = tap_random (&state);
        if (index % 2 == 0)
            pf_dedupe_remove (dedupe, hash, index + 1);
    }
    is_int (pf_dedupe_size (dedupe), total / 2, "after removing every other entry the size is 500,000");
    state = 42;
    size_t right = 0;
    for (size_t index = 0; index < total; index++) {
        bool has = s_has (dedupe, tap_random (&state), index + 1);
        if (has == (index % 2 == 1))
            right++;
    }
    is_int (right, total, "removed entries are gone and the others are all found");

    pf_dedupe_expire (dedupe, total / 2 + 1);
    is_int (pf_dedupe_size (dedupe), total / 4, "expiring the lower half of the seqs leaves 250,000");
    pf_dedupe_destroy (&dedupe);
}

//  Hashes that differ only in their top bits land in different segments,
//  at the same home slot.
static void
test_segments (void)
{
    pf_dedupe_t *dedupe = pf_dedupe_new ();
    const uint64_t low = 99;
    for (uint64_t top = 0; top < 4; top++)
        pf_dedupe_insert (dedupe, (top << 62) | low, top + 1);
    bool each = true;
    for (uint64_t top = 0; top < 4; top++)
        each = each && s_has (dedupe, (top << 62) | low, top + 1)
                    && s_candidates (dedupe, (top << 62) | low) == 1;
    ok (each, "hashes that differ only in their top bits each find their own seq");
    pf_dedupe_remove (dedupe, (1ULL << 62) | low, 2);
    ok (!s_has (dedupe, (1ULL << 62) | low, 2) && s_has (dedupe, low, 1)
        && s_has (dedupe, (2ULL << 62) | low, 3), "removing one of them leaves the others");

    //  Fill one segment far past its first size: the others are untouched
    size_t memory = pf_dedupe_memory (dedupe);
    for (uint64_t seq = 10; seq < 10010; seq++)
        pf_dedupe_insert (dedupe, (3ULL << 62) | (seq * 7919), seq);
    ok (pf_dedupe_memory (dedupe) > memory, "10,000 hashes with the same top bits grow the index");
    ok (s_has (dedupe, low, 1) && s_has (dedupe, (2ULL << 62) | low, 3)
        && s_has (dedupe, (3ULL << 62) | (5000 * 7919), 5000), "and every entry is still found");
    is_int (pf_dedupe_size (dedupe), 10003, "size counts the entries of every segment");
    pf_dedupe_destroy (&dedupe);
}

//  Ids expiring as fast as new ones come, as in a proc whose dedupe window
//  is full: the index keeps to its live entries.
static void
test_steady_window (void)
{
    const uint64_t window = 200000;
    pf_dedupe_t *dedupe = pf_dedupe_new ();
    uint64_t state = 9;
    double worst = 0;
    for (uint64_t seq = 1; seq <= 5 * window; seq++) {
        if (seq > window)
            pf_dedupe_expire (dedupe, seq - window + 1);
        pf_dedupe_insert (dedupe, tap_random (&state), seq);
        if (seq > 2 * window) {
            double per_entry = (double) pf_dedupe_memory (dedupe) / (double) window;
            if (per_entry > worst)
                worst = per_entry;
        }
    }
    is_int (pf_dedupe_size (dedupe), window, "a window of 200,000 ids expiring in order holds 200,000");
    ok (worst < 48, "over three windows' worth of inserts, memory stays under 48 bytes a live id "
                    "(worst %.1f)", worst);
    pf_dedupe_destroy (&dedupe);
}

int
main (void)
{
    test_basics ();
    test_shared_hash ();
    test_hash_zero ();
    test_remove ();
    test_expire ();
    test_segments ();
    test_growth ();
    test_steady_window ();
    return done_testing ();
}
