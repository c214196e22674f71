//  test_hist - pf_hist: log-linear buckets at most 1/32 of their values
//  wide, percentiles within one bucket of the exact value, exact min, max
//  and mean, merge, and the empty histogram.

#include "pf_classes.h"
#include "../tap.h"

#define S_SAMPLES 200000

//  A fixed sequence, so that a failure can be replayed (xorshift64*)
static uint64_t s_state = 0x9E3779B97F4A7C15ULL;

static uint64_t
s_random (void)
{
    s_state ^= s_state >> 12;
    s_state ^= s_state << 25;
    s_state ^= s_state >> 27;
    return s_state * 0x2545F4914F6CDD1DULL;
}

static int
s_compare (const void *left, const void *right)
{
    int64_t a = *(const int64_t *) left, b = *(const int64_t *) right;
    return (a > b) - (a < b);
}

//  The exact nearest-rank percentile (in tenths of a percent) of sorted.
static int64_t
s_exact (const int64_t *sorted, size_t count, unsigned permille)
{
    size_t rank = (count * permille + 999) / 1000;
    return sorted [rank ? rank - 1 : 0];
}

//  True if got lies in the bucket of want or in a bucket next to it.
static bool
s_within_one_bucket (int64_t got, int64_t want)
{
    int64_t lowest = pf_hist_lowest_equivalent (want);
    int64_t highest = pf_hist_highest_equivalent (want);
    int64_t width = highest - lowest + 1;
    return got >= lowest - width && got <= highest + width;
}

//  Record samples, then check p50, p90, p99 and p99.9 against the exact ones.
static void
s_check_percentiles (const char *name, int64_t *samples, size_t count)
{
    pf_hist_t *hist = pf_hist_new ();
    for (size_t index = 0; index < count; index++)
        pf_hist_record (hist, samples [index]);
    qsort (samples, count, sizeof samples [0], s_compare);
    static const struct {
        double percentile;
        unsigned permille;
    } points [] = { { 50, 500 }, { 90, 900 }, { 99, 990 }, { 99.9, 999 } };
    for (size_t point = 0; point < sizeof points / sizeof points [0]; point++) {
        int64_t want = s_exact (samples, count, points [point].permille);
        int64_t got = pf_hist_percentile (hist, points [point].percentile);
        if (!ok (s_within_one_bucket (got, want),
                 "%s: p%g is within one bucket of the exact value", name,
                 points [point].percentile))
            diag ("got %" PRId64 ", exact %" PRId64, got, want);
    }
    is_int (pf_hist_count (hist), count, "%s: count is the number of samples", name);
    is_int (pf_hist_min (hist), samples [0], "%s: min is exact", name);
    is_int (pf_hist_max (hist), samples [count - 1], "%s: max is exact", name);
    is_int (pf_hist_percentile (hist, 100), samples [count - 1], "%s: p100 is the max", name);
    is_int (pf_hist_percentile (hist, 0), samples [0], "%s: p0 is the min", name);
    pf_hist_destroy (&hist);
}

static void
test_empty (void)
{
    pf_hist_t *hist = pf_hist_new ();
    ok (hist != NULL, "new makes a histogram");
    is_int (pf_hist_count (hist), 0, "an empty histogram counts 0");
    is_int (pf_hist_min (hist), 0, "its min is 0");
    is_int (pf_hist_max (hist), 0, "its max is 0");
    ok (pf_hist_mean (hist) == 0, "its mean is 0");
    is_int (pf_hist_percentile (hist, 50), 0, "its p50 is 0");
    is_int (pf_hist_percentile (hist, 99.9), 0, "its p99.9 is 0");
    pf_hist_destroy (&hist);
    ok (hist == NULL, "destroy sets the pointer to NULL");
    pf_hist_destroy (&hist);
    ok (true, "destroy of NULL does nothing");
}

static void
test_buckets (void)
{
    bool exact = true;
    for (int64_t value = 0; value < 64; value++)
        if (pf_hist_lowest_equivalent (value) != value
        ||  pf_hist_highest_equivalent (value) != value)
            exact = false;
    ok (exact, "values below 64 have a bucket each");

    bool narrow = true, contiguous = true, ordered = true;
    size_t buckets = pf_hist_buckets ();
    pf_hist_t *hist = pf_hist_new ();
    int64_t previous_highest = -1;
    for (size_t index = 0; index < buckets; index++) {
        int64_t lowest, highest;
        pf_hist_bucket (hist, index, &lowest, &highest);
        if (lowest != previous_highest + 1)
            contiguous = false;
        if (highest < lowest)
            ordered = false;
        if (index < buckets - 1 && highest > lowest && (highest - lowest + 1) * 32 > lowest)
            narrow = false;
        if (pf_hist_lowest_equivalent (lowest) != lowest
        ||  pf_hist_highest_equivalent (lowest) != highest)
            ordered = false;
        previous_highest = highest;
    }
    ok (contiguous, "buckets follow each other without gaps from 0");
    ok (ordered, "each bucket's bounds map back to the bucket");
    ok (narrow, "every bucket wider than one value is at most 1/32 (3.2 %%) of its lowest "
                "value");
    ok (buckets < 1000, "the histogram has a fixed, small number of buckets (%zu)", buckets);
    int64_t lowest, highest;
    pf_hist_bucket (hist, buckets - 1, &lowest, &highest);
    ok (lowest <= PF_HIST_VALUE_MAX && highest == INT64_MAX,
        "the last bucket takes PF_HIST_VALUE_MAX and everything above");
    ok (PF_HIST_VALUE_MAX >= 100 * 1000000, "microseconds up to 100 s are bucketed");
    pf_hist_destroy (&hist);
}

static void
test_small_values (void)
{
    pf_hist_t *hist = pf_hist_new ();
    for (int64_t value = 0; value < 64; value++)
        pf_hist_record (hist, value);
    is_int (pf_hist_percentile (hist, 50), 31, "p50 of 0..63 is exactly 31");
    is_int (pf_hist_percentile (hist, 90), 57, "p90 of 0..63 is exactly 57");
    ok (pf_hist_mean (hist) == 31.5, "the mean is exact (31.5)");
    pf_hist_reset (hist);
    is_int (pf_hist_count (hist), 0, "reset empties the histogram");
    pf_hist_record (hist, 12345);
    is_int (pf_hist_percentile (hist, 50), 12345, "one sample: p50 is that sample");
    is_int (pf_hist_percentile (hist, 99.9), 12345, "one sample: p99.9 is that sample");
    pf_hist_record (hist, -5);
    is_int (pf_hist_min (hist), 0, "a negative value counts as 0");
    pf_hist_record (hist, PF_HIST_VALUE_MAX * 4);
    is_int (pf_hist_max (hist), PF_HIST_VALUE_MAX * 4,
            "a value above the range keeps an exact max");
    is_int (pf_hist_percentile (hist, 100), PF_HIST_VALUE_MAX * 4, "and is the p100");
    is_int (pf_hist_count (hist), 3, "and is counted");
    pf_hist_destroy (&hist);
}

static void
test_distributions (void)
{
    int64_t *samples = (int64_t *) malloc (S_SAMPLES * sizeof (int64_t));
    assert (samples);

    //  Latency-like: mostly around a millisecond, a long tail to seconds
    for (size_t index = 0; index < S_SAMPLES; index++) {
        uint64_t draw = s_random ();
        int64_t value = 200 + (int64_t) (draw % 1500);
        if (draw % 100 == 0)
            value *= 10 + (int64_t) (s_random () % 100);
        if (draw % 10000 == 1)
            value = 1000000 + (int64_t) (s_random () % 5000000);
        samples [index] = value;
    }
    s_check_percentiles ("long tail", samples, S_SAMPLES);

    //  Uniform over six decades
    for (size_t index = 0; index < S_SAMPLES; index++) {
        int decade = (int) (s_random () % 7);
        int64_t scale = 1;
        while (decade--)
            scale *= 10;
        samples [index] = (int64_t) (s_random () % (uint64_t) (scale * 10));
    }
    s_check_percentiles ("log-uniform", samples, S_SAMPLES);

    //  Every value from 1 to 1000, once
    for (size_t index = 0; index < 1000; index++)
        samples [index] = (int64_t) (1000 - index);
    s_check_percentiles ("1 to 1000", samples, 1000);
    free (samples);
}

static void
test_merge (void)
{
    pf_hist_t *all = pf_hist_new ();
    pf_hist_t *low = pf_hist_new ();
    pf_hist_t *high = pf_hist_new ();
    for (int64_t value = 1; value <= 100000; value += 7) {
        pf_hist_record (all, value);
        pf_hist_record (value % 2 ? low : high, value);
    }
    pf_hist_t *merged = pf_hist_new ();
    pf_hist_merge (merged, low);
    pf_hist_merge (merged, high);
    is_int (pf_hist_count (merged), pf_hist_count (all), "merge adds the counts");
    is_int (pf_hist_min (merged), pf_hist_min (all), "merge keeps the smallest min");
    is_int (pf_hist_max (merged), pf_hist_max (all), "merge keeps the largest max");
    ok (fabs (pf_hist_mean (merged) - pf_hist_mean (all)) < 1e-6, "merge keeps the mean");
    bool same = true;
    for (size_t index = 0; index < pf_hist_buckets (); index++)
        if (pf_hist_bucket (merged, index, NULL, NULL)
        !=  pf_hist_bucket (all, index, NULL, NULL))
            same = false;
    ok (same, "merged buckets equal those of one histogram of every sample");
    is_int (pf_hist_percentile (merged, 99), pf_hist_percentile (all, 99),
            "so the percentiles are the same");

    pf_hist_t *empty = pf_hist_new ();
    pf_hist_merge (merged, empty);
    is_int (pf_hist_count (merged), pf_hist_count (all),
            "merging an empty histogram changes nothing");
    is_int (pf_hist_min (merged), 1, "not even the min");
    is_int (pf_hist_count (low), 7143, "merge leaves its source as it was");

    pf_hist_t *counted = pf_hist_new ();
    pf_hist_record_n (counted, 500, 3);
    pf_hist_record_n (counted, 900, 0);
    is_int (pf_hist_count (counted), 3, "record_n records count samples; a count of 0 none");
    is_int (pf_hist_max (counted), 500, "and a count of 0 leaves the max alone");
    pf_hist_destroy (&counted);
    pf_hist_destroy (&empty);
    pf_hist_destroy (&merged);
    pf_hist_destroy (&high);
    pf_hist_destroy (&low);
    pf_hist_destroy (&all);
}

int
main (void)
{
    test_empty ();
    test_buckets ();
    test_small_values ();
    test_distributions ();
    test_merge ();
    return done_testing ();
}
