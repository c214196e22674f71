//  fuzz_link - the node-to-node hand-off codec (pf_link): a received link
//  message split with pf_link_parse, its body read as the command says; and
//  the whole input read as each kind of body, since a peer node's bytes are
//  as untrusted as a client's.

#include "fuzz.h"

static void
s_msgs (const byte *data, size_t size)
{
    size_t count = 0;
    if (pf_link_msgs_check (data, size, &count) != 0)
        return;
    PF_FUZZ_CHECK (count >= 1);
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    pf_buf_t copy = { NULL, 0, 0 };
    pf_link_msg_t msg;
    size_t records = 0;
    while (pf_link_msgs_next (&reader, &msg)) {
        PF_FUZZ_INSIDE (msg.record.id, msg.record.id_size, data, size);
        PF_FUZZ_INSIDE (msg.record.payload, msg.record.payload_size, data, size);
        pf_link_put_msg (&copy, msg.ticket, msg.partition, &msg.record);
        records++;
    }
    pf_fuzz_walked (&reader, records, count, &copy, data, size);
}

static void
s_verdicts (const byte *data, size_t size)
{
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    pf_buf_t copy = { NULL, 0, 0 };
    pf_link_verdict_t verdict;
    int rc;
    while ((rc = pf_link_verdict_next (&reader, &verdict)) == 1) {
        PF_FUZZ_CHECK (verdict.status == 'A' || verdict.status == 'D' || verdict.status == 'B');
        pf_link_put_verdict (&copy, &verdict);
    }
    PF_FUZZ_CHECK (rc == 0 || rc == -1);
    if (rc == 0 && size > 0)
        PF_FUZZ_CHECK (copy.size == size && memcmp (copy.data, data, size) == 0);
    pf_buf_free (&copy);
}

static void
s_entries (const byte *data, size_t size)
{
    size_t count = 0;
    if (pf_link_entries_check (data, size, &count) != 0)
        return;
    PF_FUZZ_CHECK (count >= 1);
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    pf_buf_t copy = { NULL, 0, 0 };
    pf_link_entry_t entry;
    size_t entries = 0;
    int rc;
    while ((rc = pf_link_entry_next (&reader, &entry)) == 1) {
        PF_FUZZ_INSIDE (entry.reason, entry.reason_size, data, size);
        PF_FUZZ_INSIDE (entry.record.id, entry.record.id_size, data, size);
        PF_FUZZ_INSIDE (entry.record.payload, entry.record.payload_size, data, size);
        pf_link_put_entry (&copy, &entry);
        entries++;
    }
    PF_FUZZ_CHECK (rc == 0);
    pf_fuzz_walked (&reader, entries, count, &copy, data, size);
}

//  TAKEN, DEAD, GONE: u64 seqs; REINJECTED: pairs of them
static void
s_seqs (const byte *data, size_t size)
{
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    uint64_t seq;
    while (!pf_reader_done (&reader) && pf_reader_u64 (&reader, &seq))
        ;
    PF_FUZZ_CHECK (reader.failed == (size % 8 != 0));
}

int
pf_fuzz_link (const uint8_t *data, size_t size)
{
    s_msgs (data, size);
    s_verdicts (data, size);
    s_entries (data, size);
    s_seqs (data, size);

    zmsg_t *msg = pf_fuzz_frames (data, size);
    const char *command = NULL;
    size_t command_size = 0;
    zframe_t *body = NULL;
    if (pf_link_parse (msg, &command, &command_size, &body) == 0) {
        PF_FUZZ_CHECK (zmsg_size (msg) == 3 && body != NULL);
        const byte *bytes = zframe_data (body);
        size_t bytes_size = zframe_size (body);
        if (pf_link_is (command, command_size, "MSGS"))
            s_msgs (bytes, bytes_size);
        else
        if (pf_link_is (command, command_size, "VERDICTS"))
            s_verdicts (bytes, bytes_size);
        else
        if (pf_link_is (command, command_size, "FAILED")
        ||  pf_link_is (command, command_size, "REINJECT"))
            s_entries (bytes, bytes_size);
        else
            s_seqs (bytes, bytes_size);
    }
    zmsg_destroy (&msg);
    return 0;
}

PF_FUZZ_TARGET (link)
