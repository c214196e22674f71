//  pf_alert - a threshold on a measured value, logged when crossed.

#include "pf_classes.h"

void
pf_alert_init (pf_alert_t *self, const char *name, const char *unit, int64_t threshold,
               int64_t clear_at)
{
    *self = (pf_alert_t) {
        .name = name, .unit = unit, .threshold = threshold,
        .clear_at = clear_at < threshold ? clear_at : threshold
    };
}

int
pf_alert_check (pf_alert_t *self, int64_t value)
{
    if (self->threshold <= 0)
        return 0;
    if (!self->raised && value > self->threshold) {
        self->raised = true;
        pf_warning ("alert raised alert=%s value=%" PRId64 " threshold=%" PRId64 " unit=%s",
                    self->name, value, self->threshold, self->unit);
        return 1;
    }
    if (self->raised && value <= self->clear_at) {
        self->raised = false;
        pf_info ("alert cleared alert=%s value=%" PRId64 " threshold=%" PRId64 " unit=%s",
                 self->name, value, self->threshold, self->unit);
        return -1;
    }
    return 0;
}
