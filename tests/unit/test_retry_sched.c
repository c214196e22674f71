//  test_retry_sched - pf_retry_sched: the retry node's in-memory schedule
//  (heaps of waiting and sent messages per proc), and the backoff of
//  pf_retry_core.

#include "pf_classes.h"
#include "../tap.h"

int
main (void)
{
    pf_retry_sched_t *sched = pf_retry_sched_new (2);
    ok (sched != NULL, "a schedule is created");
    ok (pf_retry_sched_first_waiting (sched, 0) == NULL, "an empty proc has nothing waiting");
    ok (pf_retry_sched_first_sent (sched, 5) == NULL, "nor has a proc index never used");

    pf_retry_sched_add (sched, 0, 10, 3, 1, PF_RETRY_ITEM_WAITING, 5000);
    pf_retry_sched_add (sched, 0, 11, 3, 2, PF_RETRY_ITEM_WAITING, 3000);
    pf_retry_sched_add (sched, 0, 12, 3, 1, PF_RETRY_ITEM_WAITING, 4000);
    pf_retry_sched_add (sched, 1, 10, 9, 1, PF_RETRY_ITEM_WAITING, 1000);
    pf_retry_item_t *first = pf_retry_sched_first_waiting (sched, 0);
    ok (first && first->seq == 11, "the message due first comes first");
    ok (pf_retry_sched_first_waiting (sched, 1)->seq == 10, "each proc has its own heap");
    pf_retry_item_t *item = pf_retry_sched_find (sched, 1, 10);
    ok (item && item->proc == 1 && item->partition == 9, "a message is found by proc and seq");
    ok (pf_retry_sched_find (sched, 1, 11) == NULL, "an unknown one is not");
    is_int (pf_retry_sched_count (sched, 0, PF_RETRY_ITEM_WAITING), 3, "three wait on proc 0");
    is_int (pf_retry_sched_count (sched, UINT32_MAX, PF_RETRY_ITEM_WAITING), 4,
            "four wait in all");

    pf_retry_sched_set (sched, first, PF_RETRY_ITEM_SENT, 9000);
    ok (pf_retry_sched_first_waiting (sched, 0)->seq == 12, "a sent message leaves the waiting heap");
    ok (pf_retry_sched_first_sent (sched, 0) == first, "and waits for its answer");
    is_int (pf_retry_sched_count (sched, 0, PF_RETRY_ITEM_SENT), 1, "one is sent");
    pf_retry_sched_add (sched, 0, 13, 3, 8, PF_RETRY_ITEM_DEAD, 0);
    ok (pf_retry_sched_first_sent (sched, 0)->seq == 13, "a new DEAD is due at once");
    pf_retry_sched_set (sched, pf_retry_sched_first_sent (sched, 0), PF_RETRY_ITEM_DEAD, 12000);
    ok (pf_retry_sched_first_sent (sched, 0) == first, "resending moves it back in its heap");
    pf_retry_sched_remove (sched, first);
    ok (pf_retry_sched_find (sched, 0, 11) == NULL, "a removed message is forgotten");
    is_int (pf_retry_sched_count (sched, 0, PF_RETRY_ITEM_SENT), 0, "and no longer counted");

    pf_retry_sched_add (sched, 7, 1, 0, 1, PF_RETRY_ITEM_WAITING, 1);
    ok (pf_retry_sched_first_waiting (sched, 7) != NULL, "the schedule grows for a new proc");

    //  Many messages come out in due order, whatever order they went in
    pf_retry_sched_clear (sched);
    is_int (pf_retry_sched_count (sched, UINT32_MAX, PF_RETRY_ITEM_WAITING), 0,
            "clear forgets everything");
    for (uint64_t seq = 1; seq <= 5000; seq++)
        pf_retry_sched_add (sched, 1, seq, 0, 1, PF_RETRY_ITEM_WAITING,
                            (int64_t) ((seq * 7919) % 5003));
    for (uint64_t seq = 1; seq <= 5000; seq += 3)
        pf_retry_sched_remove (sched, pf_retry_sched_find (sched, 1, seq));
    int64_t last = -1;
    bool ordered = true;
    size_t count = 0;
    while ((item = pf_retry_sched_first_waiting (sched, 1))) {
        ordered = ordered && item->at >= last;
        last = item->at;
        pf_retry_sched_set (sched, item, PF_RETRY_ITEM_SENT, item->at);
        count++;
    }
    ok (ordered, "messages leave the waiting heap in due order");
    is_int (count, 5000 - 1667, "all but the removed ones");
    last = -1;
    ordered = true;
    while ((item = pf_retry_sched_first_sent (sched, 1))) {
        ordered = ordered && item->at >= last;
        last = item->at;
        pf_retry_sched_remove (sched, item);
    }
    ok (ordered, "and the sent heap keeps them in order too");
    pf_retry_sched_destroy (&sched);
    ok (sched == NULL, "destroy clears the reference");

    //  Backoff
    is_int (pf_retry_backoff (1000, 3600000, 1), 1000, "attempt 1 waits base-delay");
    is_int (pf_retry_backoff (1000, 3600000, 2), 2000, "attempt 2 waits twice that");
    is_int (pf_retry_backoff (1000, 3600000, 7), 64000, "attempt 7 waits 2^6 times base-delay");
    is_int (pf_retry_backoff (1000, 3600000, 13), 3600000, "never more than max-delay");
    is_int (pf_retry_backoff (86400000, 2147483647, 1000), 2147483647,
            "no overflow at 1000 attempts");
    bool within = true, varies = false;
    int64_t seen = -1;
    for (int round = 0; round < 1000; round++) {
        int64_t delay = pf_retry_jittered (1000, 3600000, 3);
        within = within && delay >= 3200 && delay <= 4000;
        varies = varies || (seen >= 0 && delay != seen);
        seen = delay;
    }
    ok (within, "jitter takes off at most 20 %%");
    ok (varies, "and varies");
    return done_testing ();
}
