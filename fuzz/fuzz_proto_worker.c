//  fuzz_proto_worker - the worker side of PF1 (SPEC 4) and the answers a
//  producer reads: what a proc does with READY, DONE, DONEB and FAIL, what a
//  worker does with DELIVER and DELIVERB, what a producer does with ACK, DUP,
//  NACK, BUSY and VERDICTS.

#include "fuzz.h"

//  A proc's READY: credit, optional batch size, prefixes as a C string
static void
s_ready (const pf_message_t *message)
{
    uint64_t credit = 0, batch_size = 1;
    char prefixes [1024];
    if (pf_proto_ready_args (message, &credit, &batch_size, prefixes, sizeof prefixes))
        return;
    PF_FUZZ_CHECK (credit >= 1 && credit <= PF_PROTO_CREDIT_MAX);
    PF_FUZZ_CHECK (batch_size >= 1 && batch_size <= PF_PROTO_BATCH_MAX);
    pf_proto_topic_allowed ((const byte *) "orders.eu", 9, prefixes);
    pf_proto_topic_allowed ((const byte *) "", 0, prefixes);
}

static void
s_check_id (const byte *id, size_t size)
{
    const char *text = NULL;
    pf_reason_t reason = pf_proto_check_id (id, size, &text);
    PF_FUZZ_CHECK (reason == PF_REASON_OK || (reason == PF_REASON_BAD_ID && text));
}

//  A DELIVERB record, checked as a worker would (any payload size)
static void
s_check_delivered (const pf_record_t *record)
{
    const char *why = NULL;
    pf_proto_check_record (record, SIZE_MAX, &why);
}

//  A VERDICTS frame, read as a producer does, until the end or an error
static void
s_verdicts (const byte *data, size_t size)
{
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    pf_verdict_t verdict;
    int rc;
    size_t verdicts = 0;
    while ((rc = pf_proto_verdict_next (&reader, &verdict)) == 1) {
        PF_FUZZ_CHECK (strchr ("ADNB", verdict.status) && verdict.status);
        PF_FUZZ_INSIDE (verdict.id, verdict.id_size, data, size);
        if (verdict.status == 'N') {
            PF_FUZZ_CHECK (verdict.reason >= PF_REASON_MALFORMED
                           && verdict.reason <= PF_REASON_FORBIDDEN);
            PF_FUZZ_INSIDE (verdict.text, verdict.text_size, data, size);
        }
        verdicts++;
    }
    PF_FUZZ_CHECK (rc == 0 || rc == -1);
    PF_FUZZ_CHECK (rc == -1 || pf_reader_done (&reader));
    PF_FUZZ_CHECK (verdicts <= size);
}

int
pf_fuzz_proto_worker (const uint8_t *data, size_t size)
{
    zmsg_t *msg = pf_fuzz_frames (data, size);
    pf_message_t message;
    const char *text = NULL;
    if (pf_proto_parse (msg, &message, &text) == PF_REASON_OK) {
        uint64_t number = 0;
        switch (message.cmd) {
            case PF_CMD_READY:
                s_ready (&message);
                break;
            case PF_CMD_DONE:
                s_check_id (message.arg [0], message.arg_size [0]);
                break;
            case PF_CMD_DONEB: {
                //  As the proc reads it: short ids until the end
                pf_reader_t reader;
                pf_reader_init (&reader, message.arg [0], message.arg_size [0]);
                const byte *id;
                size_t id_size;
                while (!pf_reader_done (&reader) && pf_reader_short (&reader, &id, &id_size)) {
                    PF_FUZZ_INSIDE (id, id_size, message.arg [0], message.arg_size [0]);
                    s_check_id (id, id_size);
                }
                break;
            }
            case PF_CMD_FAIL:
                s_check_id (message.arg [0], message.arg_size [0]);
                break;
            case PF_CMD_DELIVER: {
                if (pf_proto_number (message.arg [3], message.arg_size [3], 1, UINT32_MAX,
                                     &number) == 0)
                    PF_FUZZ_CHECK (number >= 1 && number <= UINT32_MAX);
                s_check_id (message.arg [0], message.arg_size [0]);
                break;
            }
            case PF_CMD_DELIVERB:
                pf_fuzz_batch (message.arg [0], message.arg_size [0], true,
                               s_check_delivered);
                break;
            case PF_CMD_NACK:
                pf_reason_parse (message.arg [1], message.arg_size [1]);
                break;
            case PF_CMD_BUSY:
                pf_proto_number (message.arg [1], message.arg_size [1], 0, UINT32_MAX,
                                 &number);
                break;
            case PF_CMD_VERDICTS:
                s_verdicts (message.arg [0], message.arg_size [0]);
                break;
            default:
                break;
        }
    }
    zmsg_destroy (&msg);
    return 0;
}

PF_FUZZ_TARGET (proto_worker)
