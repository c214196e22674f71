//  test_retry_store - pf_retry_store: failed messages and dead letters in
//  SQLite, across a reopen.

#include "pf_classes.h"
#include "../tap.h"

static pf_link_entry_t
s_entry (uint64_t seq, uint32_t attempt, const char *id, const char *payload, const char *reason)
{
    pf_link_entry_t entry = {
        .seq = seq, .partition = 5, .attempt = attempt,
        .reason = (const byte *) reason, .reason_size = strlen (reason),
        .record = {
            .id = (const byte *) id, .id_size = strlen (id),
            .topic = (const byte *) "t.x", .topic_size = 3,
            .key = (const byte *) "k\0y", .key_size = 3,
            .payload = (const byte *) payload, .payload_size = strlen (payload)
        }
    };
    return entry;
}

static bool
s_is (const byte *data, size_t size, const void *want, size_t want_size)
{
    return size == want_size && (size == 0 || memcmp (data, want, size) == 0);
}

static size_t s_rows;
static uint64_t s_seq_sum;

static void
s_count_row (const pf_retry_row_t *row, void *arg)
{
    s_rows++;
    s_seq_sum += row->seq;
}

static char s_names [256];

static void
s_name_row (const pf_retry_dead_t *dead, void *arg)
{
    strcat (s_names, dead->name);
    strcat (s_names, dead->replaying ? "* " : " ");
}

int
main (void)
{
    char dir [] = "/tmp/test_retry_store.XXXXXX";
    assert (mkdtemp (dir));
    char *path = zsys_sprintf ("%s/r.db", dir);
    char *error = NULL;
    pf_retry_store_t *store = pf_retry_store_new ("/nonexistent/dir/r.db", &error);
    ok (store == NULL && error && strstr (error, "/nonexistent/dir/r.db"),
        "a database that cannot be opened is an error naming it");
    free (error);
    error = NULL;
    store = pf_retry_store_new (path, &error);
    ok (store != NULL, "a new database is created");

    pf_link_entry_t one = s_entry (7, 1, "m-1", "hello", "boom");
    pf_link_entry_t two = s_entry (8, 2, "m-2", "", "");
    pf_retry_store_begin (store);
    pf_retry_store_put (store, "p1", &one, PF_RETRY_WAITING, 123456);
    pf_retry_store_put (store, "p2", &two, PF_RETRY_WAITING, 99);
    ok (pf_retry_store_commit (store) == 0, "a group of puts commits");
    is_int (pf_retry_store_retries (store), 2, "two failed messages are held");

    pf_link_entry_t got;
    ok (pf_retry_store_fetch (store, "p1", 7, &got) == 0, "one is fetched by proc and seq");
    ok (got.seq == 7 && got.partition == 5 && got.attempt == 1
        && s_is (got.record.id, got.record.id_size, "m-1", 3)
        && s_is (got.record.topic, got.record.topic_size, "t.x", 3)
        && s_is (got.record.key, got.record.key_size, "k\0y", 3)
        && s_is (got.record.payload, got.record.payload_size, "hello", 5)
        && s_is (got.reason, got.reason_size, "boom", 4), "with every field as stored");
    ok (pf_retry_store_fetch (store, "p2", 8, &got) == 0 && got.record.payload_size == 0,
        "an empty payload stays empty");
    pf_retry_store_release (store);
    ok (pf_retry_store_fetch (store, "p1", 8, &got) == -1, "another proc's seq is not found");

    pf_retry_store_begin (store);
    one.attempt = 2;
    pf_retry_store_put (store, "p1", &one, PF_RETRY_WAITING, 5);
    ok (pf_retry_store_commit (store) == 0, "putting the same (proc, seq) again commits");
    is_int (pf_retry_store_retries (store), 2, "and replaces the row");
    pf_retry_store_fetch (store, "p1", 7, &got);
    is_int (got.attempt, 2, "with the later attempt");
    pf_retry_store_release (store);

    //  Dead letters
    pf_retry_store_begin (store);
    int64_t first = pf_retry_store_dead_add (store, &one, 1700000000);
    int64_t second = pf_retry_store_dead_add (store, &one, 1700000001);
    int64_t third = pf_retry_store_dead_add (store, &two, 1700000002);
    pf_retry_store_put (store, "p1", &one, PF_RETRY_DEAD, 0);
    ok (pf_retry_store_commit (store) == 0 && first > 0 && second > first && third > second,
        "dead letters are added with growing numbers");
    ok (pf_retry_store_fetch (store, "p1", 7, &got) == -1,
        "a DEAD hand-off is not fetched for re-injection");
    is_int (pf_retry_store_dead_find (store, "m-1"), first, "a dead letter is found by its id");
    is_int (pf_retry_store_dead_find (store, "m-1#2"), second,
            "the same id dead again is called id#2");
    is_int (pf_retry_store_dead_find (store, "nope"), 0, "an unknown name is not found");
    pf_retry_dead_t dead;
    ok (pf_retry_store_dead_fetch (store, first, &dead) == 0, "a dead letter is fetched");
    ok (streq (dead.name, "m-1") && dead.attempts == 2 && dead.dead_at == 1700000000
        && dead.partition == 5 && !dead.replaying
        && s_is (dead.reason, dead.reason_size, "boom", 4)
        && s_is (dead.record.payload, dead.record.payload_size, "hello", 5)
        && dead.payload_size == 5
        && s_is (dead.record.key, dead.record.key_size, "k\0y", 3), "with its fields and payload");
    pf_retry_store_release (store);

    pf_retry_store_begin (store);
    pf_retry_store_dead_replay (store, second);
    ok (pf_retry_store_commit (store) == 0, "a replay mark commits");
    s_names [0] = 0;
    pf_retry_store_dead_scan (store, false, s_name_row, NULL);
    is_int (strcmp (s_names, "m-1 m-1#2* m-2 "), 0, "the scan lists them in the order they died");
    s_names [0] = 0;
    pf_retry_store_dead_scan (store, true, s_name_row, NULL);
    is_int (strcmp (s_names, "m-1#2* "), 0, "or only those being replayed");

    pf_retry_store_begin (store);
    pf_retry_store_dead_delete (store, first);
    pf_retry_store_delete (store, "p2", 8);
    ok (pf_retry_store_commit (store) == 0, "deletes commit");
    is_int (pf_retry_store_dead_count (store), 2, "one dead letter fewer");
    is_int (pf_retry_store_retries (store), 1, "one failed message fewer");
    pf_retry_store_destroy (&store);
    ok (store == NULL, "destroy clears the reference");

    store = pf_retry_store_new (path, &error);
    ok (store != NULL, "the database opens again");
    s_rows = 0;
    s_seq_sum = 0;
    pf_retry_store_scan (store, s_count_row, NULL);
    ok (s_rows == 1 && s_seq_sum == 7, "its rows survive the reopen");
    pf_retry_store_begin (store);
    int64_t fourth = pf_retry_store_dead_add (store, &one, 1700000003);
    pf_retry_store_commit (store);
    ok (fourth > third, "a dead-letter number is never reused");
    is_int (pf_retry_store_dead_find (store, "m-1"), fourth, "a freed name is used again");
    pf_retry_store_begin (store);
    pf_retry_store_dead_replay (store, 0);
    pf_retry_store_commit (store);
    s_names [0] = 0;
    pf_retry_store_dead_scan (store, true, s_name_row, NULL);
    is_int (strcmp (s_names, "m-1#2* m-2* m-1* "), 0, "replay of all marks them all");
    pf_retry_store_begin (store);
    pf_retry_store_dead_delete (store, 0);
    pf_retry_store_commit (store);
    is_int (pf_retry_store_dead_count (store), 0, "purge of all empties the store");
    pf_retry_store_destroy (&store);

    //  Replay tickets are made of the numbers: a database made afresh must
    //  not number its dead letters as an earlier one did
    int64_t firsts [2] = { 0, 0 };
    for (int round = 0; round < 2; round++) {
        char *fresh = zsys_sprintf ("%s/fresh-%d.db", dir, round);
        store = pf_retry_store_new (fresh, &error);
        free (fresh);
        pf_retry_store_begin (store);
        firsts [round] = pf_retry_store_dead_add (store, &one, 1700000004);
        pf_retry_store_commit (store);
        pf_retry_store_destroy (&store);
    }
    ok (firsts [0] > 0 && firsts [1] > 0 && firsts [0] != firsts [1]
        && firsts [0] <= (int64_t) 1 << 62 && firsts [1] <= (int64_t) 1 << 62,
        "a new database starts its dead-letter numbers at a random point below 2^62");

    //  JSON text for the dead-letter listing
    pf_buf_t buf = { 0 };
    pf_json_put_string (&buf, "a\"b\\c\n\x01", 7);
    pf_json_put_string (&buf, "caf\xc3\xa9", 5);
    pf_json_put_string (&buf, "bad\xff\xc3", 5);
    pf_json_put_hex (&buf, "k\0y", 3);
    pf_json_append (&buf, "%d", 42);
    ok (s_is (buf.data, buf.size,
              "\"a\\\"b\\\\c\\u000a\\u0001\"\"caf\xc3\xa9\"\"bad\\ufffd\\ufffd\"\"6b0079\"42", 55),
        "JSON strings escape quotes, backslashes and controls, keep UTF-8, "
        "replace bad bytes; keys are hex");
    pf_buf_free (&buf);

    char *command = zsys_sprintf ("rm -rf %s", dir);
    if (system (command) != 0)
        diag ("cannot remove %s", dir);
    free (command);
    free (path);
    return done_testing ();
}
