//  pf_link - the node-to-node hand-off codec.

#include "pf_classes.h"

void
pf_link_put_msg (pf_buf_t *buf, uint64_t ticket, uint32_t partition,
                 const pf_record_t *record)
{
    pf_buf_put_u64 (buf, ticket);
    pf_buf_put_u32 (buf, partition);
    pf_proto_put_push_record (buf, record);
}

bool
pf_link_msgs_next (pf_reader_t *reader, pf_link_msg_t *msg)
{
    if (pf_reader_done (reader))
        return false;
    pf_reader_u64 (reader, &msg->ticket);
    pf_reader_u32 (reader, &msg->partition);
    //  A ticket and partition with no record after them is truncated too
    if (!pf_proto_batch_next (reader, false, &msg->record)) {
        reader->failed = true;
        return false;
    }
    return true;
}

int
pf_link_msgs_check (const byte *data, size_t size, size_t *count)
{
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    pf_link_msg_t msg;
    size_t records = 0;
    while (pf_link_msgs_next (&reader, &msg))
        records++;
    if (reader.failed || records == 0)
        return -1;
    *count = records;
    return 0;
}

void
pf_link_put_verdict (pf_buf_t *buf, const pf_link_verdict_t *verdict)
{
    pf_buf_put_u64 (buf, verdict->ticket);
    pf_buf_put_u8 (buf, (uint8_t) verdict->status);
    pf_buf_put_u32 (buf, verdict->retry_after);
}

int
pf_link_verdict_next (pf_reader_t *reader, pf_link_verdict_t *verdict)
{
    if (pf_reader_done (reader))
        return 0;
    uint8_t status = 0;
    pf_reader_u64 (reader, &verdict->ticket);
    pf_reader_u8 (reader, &status);
    pf_reader_u32 (reader, &verdict->retry_after);
    verdict->status = (char) status;
    if (reader->failed || (status != 'A' && status != 'D' && status != 'B'))
        return -1;
    return 1;
}

int
pf_link_send (zsock_t *socket, zframe_t *routing_id, const char *command, pf_buf_t *body)
{
    void *handle = zsock_resolve (socket);
    if ((routing_id
    &&   zmq_send (handle, zframe_data (routing_id), zframe_size (routing_id),
                   ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
    ||  zmq_send (handle, PF_LINK_VERSION, 3, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1
    ||  zmq_send (handle, command, strlen (command), ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1) {
        pf_buf_reset (body);
        return -1;
    }
    return pf_buf_send (body, handle, ZMQ_DONTWAIT);
}

int
pf_link_parse (zmsg_t *msg, const char **command, size_t *command_size, zframe_t **body)
{
    if (zmsg_size (msg) != 3)
        return -1;
    zframe_t *version = zmsg_first (msg);
    if (zframe_size (version) != 3 || memcmp (zframe_data (version), PF_LINK_VERSION, 3))
        return -1;
    zframe_t *name = zmsg_next (msg);
    *command = (const char *) zframe_data (name);
    *command_size = zframe_size (name);
    *body = zmsg_next (msg);
    return 0;
}

bool
pf_link_is (const char *command, size_t command_size, const char *name)
{
    return strlen (name) == command_size && memcmp (command, name, command_size) == 0;
}

void
pf_link_put_entry (pf_buf_t *buf, const pf_link_entry_t *entry)
{
    pf_buf_put_u64 (buf, entry->seq);
    pf_buf_put_u32 (buf, entry->partition);
    pf_buf_put_u32 (buf, entry->attempt);
    pf_buf_put_short (buf, entry->reason, entry->reason_size > 255 ? 255 : entry->reason_size);
    pf_proto_put_push_record (buf, &entry->record);
}

int
pf_link_entry_next (pf_reader_t *reader, pf_link_entry_t *entry)
{
    if (pf_reader_done (reader))
        return 0;
    memset (entry, 0, sizeof *entry);
    pf_reader_u64 (reader, &entry->seq);
    pf_reader_u32 (reader, &entry->partition);
    pf_reader_u32 (reader, &entry->attempt);
    pf_reader_short (reader, &entry->reason, &entry->reason_size);
    if (reader->failed || pf_reader_done (reader)) {
        reader->failed = true;
        return -1;
    }
    return pf_proto_batch_next (reader, false, &entry->record) ? 1 : -1;
}

int
pf_link_entries_check (const byte *data, size_t size, size_t *count)
{
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    pf_link_entry_t entry;
    size_t entries = 0;
    int rc;
    while ((rc = pf_link_entry_next (&reader, &entry)) == 1)
        entries++;
    if (rc == -1 || entries == 0)
        return -1;
    *count = entries;
    return 0;
}
