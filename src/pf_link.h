//  pf_link - the node-to-node hand-off codec (not part of the public contract;
//  documented in pushfabric-protocol(7)). A link message is two frames,
//  "PL1" and a command, then one body frame of packed records:
//
//    edge -> proc   MSGS      records: u64 ticket, u32 partition, then a PUSHB record
//    proc -> edge   VERDICTS  records: u64 ticket, u8 status A|D|B, u32 retry-after-ms
//
//  The ticket is the edge's own number for the push; the proc echoes it.
//
//  Between a proc and the retry node (the proc's DEALER, with the proc's
//  name as routing id, connects to the retry node's ROUTER endpoint):
//
//    proc -> retry  FAILED     records: a pf_link_entry_t with reason
//    retry -> proc  TAKEN      records: u64 seq (stored durably, proc may
//                              mark them retrying)
//    retry -> proc  REINJECT   records: a pf_link_entry_t (attempt = the
//                              attempt to make next); for a replayed dead
//                              letter seq is a ticket with PF_LINK_REPLAY set,
//                              unique per replay: the proc opens the message
//                              once per ticket, however often it is resent
//    proc -> retry  REINJECTED records: u64 seq, u64 new seq (committed
//                              as ready again; retry may forget them)
//    retry -> proc  DEAD       records: u64 seq (moved to dead letters)
//    proc -> retry  GONE       records: u64 seq (proc has dropped them)
//
//  Every sender keeps what it sent until the answer and resends after a
//  timeout; every receiver handles a repeat as a no-op that answers again.

#ifndef PF_LINK_H_INCLUDED
#define PF_LINK_H_INCLUDED

//  Marks the seq field of a REINJECT as a replay ticket
#define PF_LINK_REPLAY      (1ull << 63)

typedef struct {
    uint64_t seq;           //  the message's seq in its proc, or a replay ticket
    uint32_t partition;
    uint32_t attempt;       //  FAILED: the attempt that failed; REINJECT: next
    const byte *reason;     //  FAILED: why (u8 length on the wire)
    size_t reason_size;
    pf_record_t record;     //  id, topic, key, payload
} pf_link_entry_t;

void
    pf_link_put_entry (pf_buf_t *buf, const pf_link_entry_t *entry);

//  Returns 1 with the next entry, 0 at the end, -1 if malformed.
int
    pf_link_entry_next (pf_reader_t *reader, pf_link_entry_t *entry);

//  Check a whole body of entries (FAILED, REINJECT); returns 0 and the
//  count, or -1 when malformed or empty.
int
    pf_link_entries_check (const byte *data, size_t size, size_t *count);


#define PF_LINK_VERSION "PL1"

typedef struct {
    uint64_t ticket;        //  sender's number, echoed in the answer
    uint32_t partition;     //  logical partition of the message
    pf_record_t record;     //  views into the received body
} pf_link_msg_t;

typedef struct {
    uint64_t ticket;
    char status;            //  'A' accepted, 'D' duplicate, 'B' busy
    uint32_t retry_after;   //  milliseconds, for 'B'
} pf_link_verdict_t;

void
    pf_link_put_msg (pf_buf_t *buf, uint64_t ticket, uint32_t partition,
                     const pf_record_t *record);

//  Check a whole MSGS body before acting on any of it. Returns 0 and the
//  record count, or -1 when it is truncated or empty.
int
    pf_link_msgs_check (const byte *data, size_t size, size_t *count);

//  Next record of a checked MSGS body; false at the end.
bool
    pf_link_msgs_next (pf_reader_t *reader, pf_link_msg_t *msg);

void
    pf_link_put_verdict (pf_buf_t *buf, const pf_link_verdict_t *verdict);

//  Returns 1 with the next verdict, 0 at the end, -1 if malformed.
int
    pf_link_verdict_next (pf_reader_t *reader, pf_link_verdict_t *verdict);

//  Send [routing_id] "PL1" command body (body emptied, no copy). routing_id
//  may be NULL. Never blocks: returns -1 with errno EAGAIN when it would.
int
    pf_link_send (zsock_t *socket, zframe_t *routing_id, const char *command,
                  pf_buf_t *body);

//  Split a received link message (routing id already removed) into its
//  command and body frame (both borrowed from msg). Returns 0, or -1 when
//  it is not a well-formed link message.
int
    pf_link_parse (zmsg_t *msg, const char **command, size_t *command_size,
                   zframe_t **body);

//  True if the parsed command equals name.
bool
    pf_link_is (const char *command, size_t command_size, const char *name);

#endif
