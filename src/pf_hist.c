//  pf_hist - a log-linear latency histogram in fixed memory (see pf_hist.h).
//
//  Values below 64 have a bucket each. From 64 on, the bucket of v is found
//  from its highest set bit e: with shift = e - 5, the mantissa v >> shift
//  lies in [32, 64), and the index is shift * 32 + mantissa, so the indexes
//  of consecutive powers of two follow each other without gaps and a
//  bucket is 2^shift wide, 1/64 to 1/32 of its values.

#include "pf_classes.h"

#define S_SUB_BITS      5
#define S_SUB           (1 << S_SUB_BITS)           //  steps per power of two
#define S_EXACT         (2 * S_SUB)                 //  values with a bucket each
//  Index of PF_HIST_VALUE_MAX, plus one
#define S_BUCKETS       ((27 - 1 - S_SUB_BITS) * S_SUB + 2 * S_SUB)

struct _pf_hist_t {
    uint64_t count;             //  samples recorded
    int64_t min;                //  smallest sample, if count > 0
    int64_t max;                //  largest sample, if count > 0
    double sum;                 //  of the samples, for the mean
    uint64_t bucket [S_BUCKETS];    //  samples per bucket
};

static size_t
s_index (int64_t value)
{
    if (value > PF_HIST_VALUE_MAX)
        value = PF_HIST_VALUE_MAX;
    if (value < S_EXACT)
        return (size_t) value;
    int top = 63 - __builtin_clzll ((unsigned long long) value);
    int shift = top - S_SUB_BITS;
    return (size_t) shift * S_SUB + (size_t) (value >> shift);
}

static void
s_range (size_t index, int64_t *lowest, int64_t *highest)
{
    if (index < S_EXACT) {
        *lowest = *highest = (int64_t) index;
        return;
    }
    int shift = (int) (index / S_SUB) - 1;
    int64_t mantissa = (int64_t) (index % S_SUB) + S_SUB;
    *lowest = mantissa << shift;
    *highest = index == S_BUCKETS - 1 ? INT64_MAX
                                      : *lowest + (INT64_C (1) << shift) - 1;
}

pf_hist_t *
pf_hist_new (void)
{
    pf_hist_t *self = (pf_hist_t *) zmalloc (sizeof (pf_hist_t));
    return self;
}

void
pf_hist_destroy (pf_hist_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

void
pf_hist_reset (pf_hist_t *self)
{
    assert (self);
    memset (self, 0, sizeof *self);
}

void
pf_hist_record_n (pf_hist_t *self, int64_t value, uint64_t count)
{
    assert (self);
    if (count == 0)
        return;
    if (value < 0)
        value = 0;
    if (self->count == 0 || value < self->min)
        self->min = value;
    if (self->count == 0 || value > self->max)
        self->max = value;
    self->count += count;
    self->sum += (double) value * (double) count;
    self->bucket [s_index (value)] += count;
}

void
pf_hist_record (pf_hist_t *self, int64_t value)
{
    pf_hist_record_n (self, value, 1);
}

void
pf_hist_merge (pf_hist_t *self, const pf_hist_t *other)
{
    assert (self);
    assert (other);
    if (other->count == 0)
        return;
    if (self->count == 0 || other->min < self->min)
        self->min = other->min;
    if (self->count == 0 || other->max > self->max)
        self->max = other->max;
    self->count += other->count;
    self->sum += other->sum;
    for (size_t index = 0; index < S_BUCKETS; index++)
        self->bucket [index] += other->bucket [index];
}

uint64_t
pf_hist_count (const pf_hist_t *self)
{
    assert (self);
    return self->count;
}

int64_t
pf_hist_min (const pf_hist_t *self)
{
    assert (self);
    return self->count ? self->min : 0;
}

int64_t
pf_hist_max (const pf_hist_t *self)
{
    assert (self);
    return self->count ? self->max : 0;
}

double
pf_hist_mean (const pf_hist_t *self)
{
    assert (self);
    return self->count ? self->sum / (double) self->count : 0;
}

int64_t
pf_hist_percentile (const pf_hist_t *self, double percentile)
{
    assert (self);
    if (self->count == 0)
        return 0;
    if (!(percentile > 0))          //  also NaN
        return self->min;
    if (percentile >= 100)
        return self->max;
    //  Multiply first, and allow for rounding: 99.9 % of 1000 is rank 999,
    //  which ceil would make 1000 for a product a hair above 999
    double exact = percentile * (double) self->count / 100;
    double floor_exact = (double) (uint64_t) exact;
    uint64_t rank = (uint64_t) exact + (exact - floor_exact > exact * 1e-12);
    if (rank < 1)
        rank = 1;
    if (rank > self->count)
        rank = self->count;
    uint64_t seen = 0;
    size_t index = 0;
    for (; index < S_BUCKETS - 1; index++) {
        seen += self->bucket [index];
        if (seen >= rank)
            break;
    }
    int64_t lowest, highest;
    s_range (index, &lowest, &highest);
    //  The middle of the bucket is at most half a bucket off
    int64_t value = lowest + (highest - lowest) / 2;
    if (value < self->min)
        value = self->min;
    if (value > self->max)
        value = self->max;
    return value;
}

int64_t
pf_hist_lowest_equivalent (int64_t value)
{
    int64_t lowest, highest;
    s_range (s_index (value < 0 ? 0 : value), &lowest, &highest);
    return lowest;
}

int64_t
pf_hist_highest_equivalent (int64_t value)
{
    int64_t lowest, highest;
    s_range (s_index (value < 0 ? 0 : value), &lowest, &highest);
    return highest;
}

size_t
pf_hist_buckets (void)
{
    return S_BUCKETS;
}

uint64_t
pf_hist_bucket (const pf_hist_t *self, size_t index, int64_t *lowest, int64_t *highest)
{
    assert (self);
    assert (index < S_BUCKETS);
    int64_t low, high;
    s_range (index, &low, &high);
    if (lowest)
        *lowest = low;
    if (highest)
        *highest = high;
    return self->bucket [index];
}
