//  fuzz.h - what the libFuzzer targets in fuzz/ share with the regression test
//  (tests/unit/test_fuzz_regressions.c). Each target's body is a function
//  pf_fuzz_<target> (data, size); fuzz_<target>.c defines it, and defines
//  LLVMFuzzerTestOneInput only when built by 'make fuzz' (PF_FUZZ_MAIN), so
//  the unit test can link the same bodies without libFuzzer.
//
//  A body returns 0; it aborts when the code under test breaks one of its
//  own promises (a checked batch that does not walk, a record that does not
//  re-encode to the bytes it came from), so the fuzzer reports it.

#ifndef PF_FUZZ_H_INCLUDED
#define PF_FUZZ_H_INCLUDED

#include "pf_classes.h"

int pf_fuzz_proto_client (const uint8_t *data, size_t size);
int pf_fuzz_proto_worker (const uint8_t *data, size_t size);
int pf_fuzz_link (const uint8_t *data, size_t size);
int pf_fuzz_config (const uint8_t *data, size_t size);

//  Abort, naming the broken promise, when cond is false (also under NDEBUG).
#define PF_FUZZ_CHECK(cond) \
    do { if (!(cond)) { \
        fprintf (stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
        abort (); } } while (0)

//  Split the input into a message: byte 0 is the frame count, then each
//  frame is a big-endian u16 length and that many bytes (cut short at the
//  end of the input; a frame with fewer than 2 bytes left takes the rest).
static inline zmsg_t *
pf_fuzz_frames (const uint8_t *data, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    if (size == 0)
        return msg;
    size_t frames = data [0];
    size_t pos = 1;
    for (size_t index = 0; index < frames; index++) {
        size_t length;
        if (size - pos < 2)
            length = size - pos;
        else {
            length = ((size_t) data [pos] << 8) | data [pos + 1];
            pos += 2;
            if (length > size - pos)
                length = size - pos;
        }
        zmsg_addmem (msg, data + pos, length);
        pos += length;
    }
    return msg;
}

//  Check that a reader view lies inside the frame it reads.
#define PF_FUZZ_INSIDE(view, view_size, data, size) \
    PF_FUZZ_CHECK ((view_size) == 0 \
        || ((const byte *) (view) >= (const byte *) (data) \
            && (const byte *) (view) + (view_size) <= (const byte *) (data) + (size)))

//  After walking a checked body to its end: the walk stopped cleanly at the
//  end, after exactly count records, and the records re-encoded into copy
//  give back the input byte for byte. Frees copy.
static inline void
pf_fuzz_walked (pf_reader_t *reader, size_t records, size_t count, pf_buf_t *copy,
                const uint8_t *data, size_t size)
{
    PF_FUZZ_CHECK (!reader->failed && pf_reader_done (reader));
    PF_FUZZ_CHECK (records == count);
    PF_FUZZ_CHECK (copy->size == size && memcmp (copy->data, data, size) == 0);
    pf_buf_free (copy);
}

//  A PF1 batch frame (PUSHB, or DELIVERB when deliver): once checked, it
//  walks in exactly its count of records, each inside the frame, each
//  handed to check, each encoding back to the bytes it was read from.
static inline void
pf_fuzz_batch (const uint8_t *data, size_t size, bool deliver,
               void (*check) (const pf_record_t *record))
{
    size_t count = 0;
    const char *text = NULL;
    if (pf_proto_batch_check (data, size, deliver, &count, &text) != PF_REASON_OK) {
        PF_FUZZ_CHECK (text != NULL);
        return;
    }
    PF_FUZZ_CHECK (count >= 1 && count <= PF_PROTO_BATCH_MAX);
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    pf_buf_t copy = { NULL, 0, 0 };
    pf_record_t record;
    size_t records = 0;
    while (pf_proto_batch_next (&reader, deliver, &record)) {
        PF_FUZZ_INSIDE (record.id, record.id_size, data, size);
        PF_FUZZ_INSIDE (record.topic, record.topic_size, data, size);
        PF_FUZZ_INSIDE (record.key, record.key_size, data, size);
        PF_FUZZ_INSIDE (record.payload, record.payload_size, data, size);
        check (&record);
        if (deliver)
            pf_proto_put_deliver_record (&copy, &record);
        else
            pf_proto_put_push_record (&copy, &record);
        records++;
    }
    pf_fuzz_walked (&reader, records, count, &copy, data, size);
}

#ifdef PF_FUZZ_MAIN
#define PF_FUZZ_TARGET(name) \
    int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size); \
    int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) \
    { \
        return pf_fuzz_ ## name (data, size); \
    }
#else
#define PF_FUZZ_TARGET(name)
#endif

#endif
