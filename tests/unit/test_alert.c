//  test_alert - pf_alert: raised once above the threshold, cleared once at
//  or below its clear level, silent in between, off at threshold 0.

#include "pf_classes.h"
#include "../tap.h"

int
main (void)
{
    pf_log_set_level (PF_LOG_ERROR);    //  the raise and clear lines are not the point here
    pf_alert_t off;
    pf_alert_init (&off, "backlog", "messages", 0, 0);
    ok (pf_alert_check (&off, INT64_MAX) == 0 && !off.raised, "threshold 0: never raised");

    pf_alert_t alert;
    pf_alert_init (&alert, "backlog", "messages", 100, 90);
    is_int (pf_alert_check (&alert, 100), 0, "at the threshold: not raised");
    is_int (pf_alert_check (&alert, 101), 1, "above it: raised");
    int changes = 0;
    for (int64_t value = 101; value < 10000; value += 7)
        changes += pf_alert_check (&alert, value) != 0;
    is_int (changes, 0, "staying above: no second raise");
    is_int (pf_alert_check (&alert, 95), 0, "between the clear level and the threshold: still raised");
    is_int (pf_alert_check (&alert, 101), 0, "and back above: no new raise");
    is_int (pf_alert_check (&alert, 90), -1, "at the clear level: cleared");
    is_int (pf_alert_check (&alert, 95), 0, "below the threshold after clearing: nothing");
    is_int (pf_alert_check (&alert, 200), 1, "above again: raised again");

    pf_alert_t odd;
    pf_alert_init (&odd, "p99", "us", 100, 500);
    pf_alert_check (&odd, 101);
    is_int (pf_alert_check (&odd, 100), -1, "a clear level above the threshold is the threshold");
    return done_testing ();
}
