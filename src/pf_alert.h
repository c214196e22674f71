//  pf_alert - a threshold an operator set on a measured value (a proc's
//  backlog, its end-to-end p99): crossing it logs one WARNING line, going
//  back logs one INFO line, and nothing in between, however long it lasts.
//  Fixed memory, no allocation; belongs to the thread that measures.

#ifndef PF_ALERT_H_INCLUDED
#define PF_ALERT_H_INCLUDED

typedef struct {
    const char *name;           //  in log lines, e.g. "backlog"
    const char *unit;           //  of the value and threshold, e.g. "messages"
    int64_t threshold;          //  raised above this; 0 means no alert
    int64_t clear_at;           //  cleared at or below this
    bool raised;
} pf_alert_t;

//  An alert raised when the value goes above threshold and cleared when it
//  is back at or below clear_at (<= threshold; lower to avoid flapping).
//  A threshold of 0 turns the alert off.
void
    pf_alert_init (pf_alert_t *self, const char *name, const char *unit,
                   int64_t threshold, int64_t clear_at);

//  Compare a new measurement. Returns 1 if this raised the alert, -1 if it
//  cleared it, 0 if nothing changed; the change is logged.
int
    pf_alert_check (pf_alert_t *self, int64_t value);

#endif
