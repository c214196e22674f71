//  fuzz_proto_client - what an edge does with a client's PF1 message: parse,
//  then check a PUSH record or walk a PUSHB batch (SPEC 3). The same frames,
//  behind a routing id, also go through the control request parser.

#include "fuzz.h"

//  What an edge might be configured with
#define S_MAX_PAYLOAD   65536
#define S_PREFIXES      "orders.,audit,,x"

static void
s_check_record (const pf_record_t *record)
{
    const char *text = NULL;
    pf_reason_t reason = pf_proto_check_record (record, S_MAX_PAYLOAD, &text);
    PF_FUZZ_CHECK (reason <= PF_REASON_FORBIDDEN);
    PF_FUZZ_CHECK (reason == PF_REASON_OK || text != NULL);
    PF_FUZZ_CHECK (pf_reason_parse ((const byte *) pf_reason_name (reason),
                                    strlen (pf_reason_name (reason)))
                   == (reason == PF_REASON_OK ? PF_REASON_MALFORMED : reason));
    if (reason == PF_REASON_OK) {
        pf_proto_topic_allowed (record->topic, record->topic_size, S_PREFIXES);
        PF_FUZZ_CHECK (pf_proto_topic_allowed (record->topic, record->topic_size, ""));
        PF_FUZZ_CHECK (pf_proto_topic_allowed (record->topic, record->topic_size, NULL));
    }
}

static void
s_control (zmsg_t *msg)
{
    zmsg_t *request = zmsg_dup (msg);
    zmsg_pushstr (request, "client");
    pf_control_request_t *control = pf_control_request_new (&request);
    PF_FUZZ_CHECK (request == NULL);
    if (!control)
        return;
    if (pf_control_request_command (control)) {
        size_t args = pf_control_request_args (control);
        PF_FUZZ_CHECK (args <= PF_CONTROL_ARGS_MAX);
        for (size_t index = 0; index < args; index++)
            PF_FUZZ_CHECK (pf_control_request_arg (control, index) != NULL);
        PF_FUZZ_CHECK (pf_control_request_arg (control, args) == NULL);
    }
    pf_control_request_destroy (&control);
    PF_FUZZ_CHECK (control == NULL);
}

int
pf_fuzz_proto_client (const uint8_t *data, size_t size)
{
    zmsg_t *msg = pf_fuzz_frames (data, size);
    pf_message_t message;
    const char *text = NULL;
    pf_reason_t reason = pf_proto_parse (msg, &message, &text);
    if (reason != PF_REASON_OK) {
        PF_FUZZ_CHECK (reason == PF_REASON_MALFORMED && text != NULL);
        PF_FUZZ_CHECK (message.argc <= 1);
    }
    else {
        PF_FUZZ_CHECK (message.argc <= PF_PROTO_ARGS_MAX);
        PF_FUZZ_CHECK (pf_cmd_name (message.cmd) != NULL);
        if (message.cmd == PF_CMD_PUSH) {
            PF_FUZZ_CHECK (message.argc == 4);
            pf_record_t record;
            pf_proto_push_record (&message, &record);
            s_check_record (&record);
        }
        else
        if (message.cmd == PF_CMD_PUSHB) {
            PF_FUZZ_CHECK (message.argc == 1);
            pf_fuzz_batch (message.arg [0], message.arg_size [0], false,
                           s_check_record);
        }
    }
    s_control (msg);
    zmsg_destroy (&msg);
    return 0;
}

PF_FUZZ_TARGET (proto_client)
