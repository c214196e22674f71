//  test_stats - pf_stats: counting, merging, the STATS encoding, and the
//  JSON, Prometheus and table renderings; percentiles of a known
//  distribution within one bucket, also after encoding and decoding.

#include "pf_classes.h"
#include "../tap.h"

//  A NUL-terminated copy of the buffer's text (caller frees).
static char *
s_text (pf_buf_t *buf)
{
    char *text = (char *) malloc (buf->size + 1);
    memcpy (text, buf->data, buf->size);
    text [buf->size] = 0;
    return text;
}

//  True if value is within the pf_hist bucket of want.
static bool
s_within_bucket (int64_t value, int64_t want)
{
    return value >= pf_hist_lowest_equivalent (want)
        && value <= pf_hist_highest_equivalent (want);
}

static void
s_test_roles (void)
{
    const char *roles [] = { "edge", "proc", "retry" };
    for (size_t index = 0; index < 3; index++) {
        pf_stats_t *stats = pf_stats_new (roles [index]);
        ok (stats && streq (pf_stats_role (stats), roles [index]), "%s stats can be made",
            roles [index]);
        pf_stats_destroy (&stats);
    }
    ok (pf_stats_new ("worker") == NULL, "an unknown role gives NULL");
    ok (pf_stats_new (NULL) == NULL, "no role gives NULL");
    ok (pf_stats_role_has_counter ("edge", PF_STATS_ACCEPTED)
     && pf_stats_role_has_counter ("proc", PF_STATS_ACCEPTED)
     && !pf_stats_role_has_counter ("retry", PF_STATS_ACCEPTED),
        "accepted is counted by edges and procs, not by the retry node");
    ok (pf_stats_role_has_gauge ("proc", PF_STATS_PENDING)
     && !pf_stats_role_has_gauge ("edge", PF_STATS_PENDING), "pending is a proc's gauge");
    ok (pf_stats_role_has_latency ("edge", PF_STATS_ACCEPT_US)
     && !pf_stats_role_has_latency ("edge", PF_STATS_E2E_US),
        "an edge has the accept latency, not the end-to-end one");
    ok (!pf_stats_role_has_counter ("worker", PF_STATS_RECEIVED)
     && !pf_stats_role_has_gauge (NULL, PF_STATS_CLIENTS), "another role, or none, has nothing");
}

static void
s_test_percentiles (void)
{
    //  1 .. 100000 us, once each: p50 = 50000, p90 = 90000, p99 = 99000, p999 = 99900
    pf_stats_t *stats = pf_stats_new ("proc");
    for (int64_t value = 1; value <= 100000; value++)
        pf_stats_latency (stats, PF_STATS_E2E_US, value);
    const pf_hist_t *hist = pf_stats_hist (stats, PF_STATS_E2E_US);
    is_int (pf_hist_count (hist), 100000, "every sample is counted");
    ok (s_within_bucket (pf_hist_percentile (hist, 50), 50000), "p50 within one bucket");
    ok (s_within_bucket (pf_hist_percentile (hist, 90), 90000), "p90 within one bucket");
    ok (s_within_bucket (pf_hist_percentile (hist, 99), 99000), "p99 within one bucket");
    ok (s_within_bucket (pf_hist_percentile (hist, 99.9), 99900), "p99.9 within one bucket");

    pf_buf_t buf = { 0 };
    pf_stats_encode (stats, &buf);
    pf_stats_t *copy = pf_stats_decode (buf.data, buf.size);
    ok (copy != NULL, "the encoding decodes");
    hist = pf_stats_hist (copy, PF_STATS_E2E_US);
    is_int (pf_hist_count (hist), 100000, "decoded: every sample is counted");
    ok (s_within_bucket (pf_hist_percentile (hist, 50), 50000), "decoded: p50 within one bucket");
    ok (s_within_bucket (pf_hist_percentile (hist, 99.9), 99900),
        "decoded: p99.9 within one bucket");
    ok (streq (pf_stats_role (copy), "proc"), "decoded: the role is kept");
    ok (pf_stats_decode (buf.data, buf.size - 1) == NULL, "a cut encoding does not decode");
    ok (pf_stats_decode ("\x09", 1) == NULL, "an unknown role does not decode");
    ok (pf_stats_decode (NULL, 0) == NULL, "no bytes do not decode");
    pf_buf_free (&buf);
    pf_stats_destroy (&copy);
    pf_stats_destroy (&stats);
    ok (stats == NULL, "destroy nulls the pointer");
    pf_stats_destroy (&stats);
}

static void
s_test_count_merge (void)
{
    pf_stats_t *stats = pf_stats_new ("edge");
    pf_stats_count (stats, PF_STATS_ACCEPTED, 5);
    pf_stats_count (stats, PF_STATS_NACK_BAD_ID, 1);
    pf_stats_gauge (stats, PF_STATS_CLIENTS, 3);
    pf_stats_t *part = pf_stats_new ("edge");
    pf_stats_count (part, PF_STATS_ACCEPTED, 2);
    pf_stats_latency (part, PF_STATS_ACCEPT_US, 700);
    pf_stats_merge (stats, part);
    is_int (pf_stats_counter_value (stats, PF_STATS_ACCEPTED), 7, "merge adds counters");
    is_int (pf_stats_gauge_value (stats, PF_STATS_CLIENTS), 3,
            "merge keeps a gauge the other part has not set");
    pf_stats_gauge (part, PF_STATS_CLIENTS, 9);
    pf_stats_merge (stats, part);
    is_int (pf_stats_gauge_value (stats, PF_STATS_CLIENTS), 9,
            "merge takes a gauge the other part has set");
    is_int (pf_hist_count (pf_stats_hist (stats, PF_STATS_ACCEPT_US)), 2,
            "merge adds histograms");
    pf_stats_t *copy = pf_stats_dup (stats);
    is_int (pf_stats_counter_value (copy, PF_STATS_ACCEPTED), 9, "dup copies counters");
    pf_stats_destroy (&copy);
    pf_stats_destroy (&part);
    pf_stats_destroy (&stats);
}

static void
s_test_json (void)
{
    pf_stats_t *stats = pf_stats_new ("edge");
    pf_stats_count (stats, PF_STATS_RECEIVED, 4);
    pf_stats_count (stats, PF_STATS_ACCEPTED, 3);
    pf_stats_count (stats, PF_STATS_NACK_BAD_TOPIC, 1);
    pf_stats_gauge (stats, PF_STATS_CLIENTS, 2);
    pf_stats_latency (stats, PF_STATS_ACCEPT_US, 10);
    pf_buf_t buf = { 0 };
    pf_json_append (&buf, "{");
    pf_stats_json (stats, "e\"1", &buf);
    pf_json_append (&buf, "}");
    char *text = s_text (&buf);
    ok (strstr (text, "{\"e\\\"1\": {\"role\": \"edge\", \"counters\": {\"received\": 4, "
                      "\"accepted\": 3, \"duplicates\": 0, \"nack_malformed\": 0, "
                      "\"nack_bad_id\": 0, \"nack_bad_topic\": 1,") == text,
        "JSON: node name escaped, role, counters in order");
    ok (strstr (text, "\"gauges\": {\"clients\": 2}"), "JSON: an edge's gauges");
    ok (strstr (text, "\"latency\": {\"accept_us\": {\"count\": 1, \"p50\": 10, \"p90\": 10, "
                      "\"p99\": 10, \"p999\": 10}}}}"),
        "JSON: an edge's accept latency with count and percentiles");
    ok (!strstr (text, "delivered") && !strstr (text, "e2e_us"),
        "JSON: no proc counters on an edge");
    free (text);
    pf_buf_free (&buf);
    pf_stats_destroy (&stats);
}

static void
s_test_prometheus (void)
{
    pf_stats_t *nodes [2] = { pf_stats_new ("proc"), pf_stats_new ("proc") };
    const char *names [2] = { "p1", "p2" };
    pf_stats_count (nodes [0], PF_STATS_DONE, 7);
    pf_stats_gauge (nodes [1], PF_STATS_PENDING, 5);
    pf_stats_latency (nodes [0], PF_STATS_E2E_US, 150);
    pf_stats_latency (nodes [0], PF_STATS_E2E_US, 20000000);
    pf_buf_t buf = { 0 };
    pf_stats_prometheus (nodes, names, 2, &buf);
    char *text = s_text (&buf);
    ok (strstr (text, "# HELP pushfabric_done_total ") != NULL, "Prometheus: HELP line");
    ok (strstr (text, "# TYPE pushfabric_done_total counter\n"
                      "pushfabric_done_total{node=\"p1\",role=\"proc\"} 7\n"
                      "pushfabric_done_total{node=\"p2\",role=\"proc\"} 0\n") != NULL,
        "Prometheus: a counter once, a sample per node");
    ok (strstr (text, "# TYPE pushfabric_pending gauge\n") != NULL, "Prometheus: gauge type");
    ok (strstr (text, "pushfabric_pending{node=\"p2\",role=\"proc\"} 5\n") != NULL,
        "Prometheus: gauge sample");
    ok (strstr (text, "# TYPE pushfabric_e2e_us histogram\n") != NULL,
        "Prometheus: histogram type");
    ok (strstr (text, "pushfabric_e2e_us_bucket{node=\"p1\",role=\"proc\",le=\"100\"} 0\n"),
        "Prometheus: bucket below the sample");
    ok (strstr (text, "pushfabric_e2e_us_bucket{node=\"p1\",role=\"proc\",le=\"250\"} 1\n"),
        "Prometheus: cumulative bucket");
    ok (strstr (text, "pushfabric_e2e_us_bucket{node=\"p1\",role=\"proc\",le=\"10000000\"} 1\n"),
        "Prometheus: a sample past the last bound is only in +Inf");
    ok (strstr (text, "pushfabric_e2e_us_bucket{node=\"p1\",role=\"proc\",le=\"+Inf\"} 2\n"),
        "Prometheus: +Inf bucket holds every sample");
    ok (strstr (text, "pushfabric_e2e_us_count{node=\"p1\",role=\"proc\"} 2\n"),
        "Prometheus: _count");
    ok (strstr (text, "pushfabric_e2e_us_sum{node=\"p1\",role=\"proc\"} 20000150\n"),
        "Prometheus: _sum");
    ok (!strstr (text, "nack_") && !strstr (text, "accept_us"),
        "Prometheus: no edge metrics for procs");
    //  Every line is a comment or name{labels} value
    bool formed = true;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
        if (strncmp (line, "# HELP pushfabric_", 18) && strncmp (line, "# TYPE pushfabric_", 18)
        &&  (strncmp (line, "pushfabric_", 11) || !strstr (line, "{node=\"")
        ||   !strstr (line, "\"} ")))
            formed = false;
    ok (formed, "Prometheus: every line is HELP, TYPE or a labelled sample");
    free (text);
    pf_buf_reset (&buf);
    pf_stats_table (nodes [0], "p1", &buf);
    text = s_text (&buf);
    ok (strstr (text, "p1 (proc)\n") == text && strstr (text, "  done ") != NULL
        && strstr (text, "  e2e_us ") != NULL, "table: a block per node");
    free (text);
    pf_buf_free (&buf);
    pf_stats_destroy (&nodes [0]);
    pf_stats_destroy (&nodes [1]);
}

int
main (void)
{
    s_test_roles ();
    s_test_percentiles ();
    s_test_count_merge ();
    s_test_json ();
    s_test_prometheus ();
    return done_testing ();
}
