//  pf_hist - a latency histogram in fixed memory: log-linear buckets, each
//  power of two split into 32 linear steps, so a bucket is at most 3.2 % of
//  its values wide (values below 64 have a bucket each). Meant for
//  microseconds; values up to 2^27 - 1 (134 s) are bucketed, larger ones go
//  into the last bucket (min, max and mean stay exact). Recording never
//  allocates. An object belongs to one thread; merge per-thread histograms
//  into one to report them together.

#ifndef PF_HIST_H_INCLUDED
#define PF_HIST_H_INCLUDED

//  The largest value with a bucket of its own range
#define PF_HIST_VALUE_MAX   ((INT64_C (1) << 27) - 1)

typedef struct _pf_hist_t pf_hist_t;

//  A new, empty histogram (about 6 KiB).
pf_hist_t *
    pf_hist_new (void);

//  Destroy the histogram and set *self_p to NULL; does nothing if already NULL.
void
    pf_hist_destroy (pf_hist_t **self_p);

//  Forget every sample.
void
    pf_hist_reset (pf_hist_t *self);

//  Record one sample; a negative value counts as 0.
void
    pf_hist_record (pf_hist_t *self, int64_t value);

//  Record count samples of the same value.
void
    pf_hist_record_n (pf_hist_t *self, int64_t value, uint64_t count);

//  Add every sample of other to self. other is unchanged.
void
    pf_hist_merge (pf_hist_t *self, const pf_hist_t *other);

//  Samples recorded.
uint64_t
    pf_hist_count (const pf_hist_t *self);

//  The smallest, the largest and the mean sample, exactly; 0 when empty.
int64_t
    pf_hist_min (const pf_hist_t *self);
int64_t
    pf_hist_max (const pf_hist_t *self);
double
    pf_hist_mean (const pf_hist_t *self);

//  The value at percentile (0 to 100) by nearest rank: a value in the
//  bucket of the sample that ranks ceil (percentile / 100 * count), within
//  [min, max] (so percentile 100 is the max). 0 when empty.
int64_t
    pf_hist_percentile (const pf_hist_t *self, double percentile);

//  The smallest and the largest value that share value's bucket.
int64_t
    pf_hist_lowest_equivalent (int64_t value);
int64_t
    pf_hist_highest_equivalent (int64_t value);

//  For export (e.g. Prometheus buckets, or sending a histogram over the
//  wire with pf_hist_record_n at the other end): the number of buckets, and
//  bucket index's sample count with its value range in *lowest, *highest.
size_t
    pf_hist_buckets (void);
uint64_t
    pf_hist_bucket (const pf_hist_t *self, size_t index, int64_t *lowest, int64_t *highest);

#endif
