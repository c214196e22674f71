//  test_proc_sched - pf_proc_sched's counts of failed messages and of the
//  messages a failed one holds back, which decide how much of a proc's
//  backlog is read back from disk: through hand-off, retrying,
//  re-injection, removal and reload, in strict and relaxed order.

#include "pf_classes.h"
#include "../tap.h"

static pf_sched_msg_t *
s_add (pf_proc_sched_t *sched, uint64_t seq, const char *key, pf_sched_state_t state)
{
    char id [32];
    snprintf (id, sizeof id, "id-%" PRIu64, seq);
    return pf_proc_sched_add (sched, seq, 0, 0, state, id, "t", (const byte *) key,
                              strlen (key));
}

//  "open/failed/blocked", for one comparison per step
static char *
s_counts (pf_proc_sched_t *sched)
{
    static char text [64];
    snprintf (text, sizeof text, "%zu/%zu/%zu", pf_proc_sched_open (sched),
              pf_proc_sched_failed (sched), pf_proc_sched_blocked (sched));
    return text;
}

static void
test_strict (void)
{
    pf_proc_sched_t *sched = pf_proc_sched_new (true);
    pf_sched_msg_t *first = s_add (sched, 1, "k", PF_SCHED_READY);
    s_add (sched, 2, "k", PF_SCHED_READY);
    s_add (sched, 3, "k", PF_SCHED_READY);
    s_add (sched, 4, "other", PF_SCHED_READY);
    is_str (s_counts (sched), "4/0/0", "strict: four ready messages, none failed or held back");

    pf_proc_sched_handoff (sched, first, 0);
    is_str (s_counts (sched), "4/1/2", "a failed head holds back the 2 later messages of its key");
    s_add (sched, 5, "k", PF_SCHED_READY);
    is_str (s_counts (sched), "5/1/3", "and one more that joins its line");
    pf_proc_sched_retrying (sched, first);
    is_str (s_counts (sched), "5/1/3", "the retry node taking it changes nothing");
    pf_proc_sched_handoff (sched, first, 0);
    is_str (s_counts (sched), "5/1/3", "nor does a hand-off sent again");

    pf_proc_sched_reinjected (sched, first, 1);
    is_str (s_counts (sched), "5/0/0", "given back, it no longer holds anything back");

    pf_proc_sched_handoff (sched, first, 0);
    pf_proc_sched_remove (sched, first);
    is_str (s_counts (sched), "4/0/0", "a failed head gone dead lets its line move on");

    pf_proc_sched_forget_messages (sched);
    is_str (s_counts (sched), "0/0/0", "forgetting every message resets the counts");

    //  Loaded at start-up: a failed head, then later messages of its key
    s_add (sched, 10, "k", PF_SCHED_RETRYING);
    s_add (sched, 11, "k", PF_SCHED_READY);
    s_add (sched, 12, "k", PF_SCHED_HANDOFF);
    is_str (s_counts (sched), "3/2/2",
            "loaded behind a failed head, even a failed message counts as held back");
    pf_proc_sched_destroy (&sched);
}

static void
test_relaxed (void)
{
    pf_proc_sched_t *sched = pf_proc_sched_new (false);
    pf_sched_msg_t *first = s_add (sched, 1, "k", PF_SCHED_READY);
    s_add (sched, 2, "k", PF_SCHED_READY);
    pf_proc_sched_handoff (sched, first, 0);
    is_str (s_counts (sched), "2/1/0", "relaxed: a failed message leaves its line, holding nothing back");
    pf_proc_sched_retrying (sched, first);
    pf_proc_sched_reinjected (sched, first, 1);
    is_str (s_counts (sched), "2/0/0", "given back, it is ready again");
    pf_proc_sched_handoff (sched, pf_proc_sched_find (sched, 2), 0);
    pf_proc_sched_remove (sched, pf_proc_sched_find (sched, 2));
    is_str (s_counts (sched), "1/0/0", "a failed message gone dead is no longer counted");
    s_add (sched, 3, "", PF_SCHED_RETRYING);
    is_str (s_counts (sched), "2/1/0", "one loaded as retrying is counted failed");
    pf_proc_sched_destroy (&sched);
}

int
main (void)
{
    test_strict ();
    test_relaxed ();
    return done_testing ();
}
