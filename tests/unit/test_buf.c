//  test_buf - pf_buf: the growable encode buffer, the bounds-checked reader
//  of big-endian integers and length-prefixed fields, and pf_buf_send.

#include "pf_classes.h"
#include "../tap.h"

//  True if the buffer holds exactly size bytes equal to want.
static bool
s_holds (const pf_buf_t *buf, const void *want, size_t size)
{
    return buf->size == size && (size == 0 || memcmp (buf->data, want, size) == 0);
}

static void
test_put (void)
{
    pf_buf_t buf = { 0 };
    ok (buf.data == NULL && buf.size == 0, "a zeroed buffer is empty and owns no storage");

    pf_buf_put_u8 (&buf, 0xAB);
    ok (s_holds (&buf, "\xAB", 1), "put_u8 appends one byte");
    pf_buf_reset (&buf);

    pf_buf_put_u16 (&buf, 0x1234);
    ok (s_holds (&buf, "\x12\x34", 2), "put_u16 appends 2 bytes, big-endian");
    pf_buf_reset (&buf);

    pf_buf_put_u32 (&buf, 0x12345678);
    ok (s_holds (&buf, "\x12\x34\x56\x78", 4), "put_u32 appends 4 bytes, big-endian");
    pf_buf_reset (&buf);

    pf_buf_put_u64 (&buf, 0x0102030405060708ULL);
    ok (s_holds (&buf, "\x01\x02\x03\x04\x05\x06\x07\x08", 8),
        "put_u64 appends 8 bytes, big-endian");
    pf_buf_reset (&buf);

    pf_buf_put_u16 (&buf, 0xFFFF);
    pf_buf_put_u32 (&buf, 0xFFFFFFFF);
    pf_buf_put_u64 (&buf, UINT64_MAX);
    ok (s_holds (&buf, "\xFF\xFF" "\xFF\xFF\xFF\xFF" "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 14),
        "maximum values are written as all-ones bytes");
    pf_buf_reset (&buf);

    pf_buf_put_bytes (&buf, "abc", 3);
    pf_buf_put_bytes (&buf, NULL, 0);
    ok (s_holds (&buf, "abc", 3), "put_bytes appends the bytes; zero bytes (even NULL) adds nothing");
    pf_buf_reset (&buf);

    pf_buf_put_short (&buf, "hello", 5);
    ok (s_holds (&buf, "\x05hello", 6), "put_short writes a u8 length then the bytes");
    pf_buf_reset (&buf);

    pf_buf_put_short (&buf, NULL, 0);
    ok (s_holds (&buf, "\x00", 1), "put_short of nothing writes a zero length only");
    pf_buf_reset (&buf);

    byte long_field [255];
    memset (long_field, 'x', sizeof long_field);
    pf_buf_put_short (&buf, long_field, 255);
    ok (buf.size == 256 && buf.data [0] == 0xFF && memcmp (buf.data + 1, long_field, 255) == 0,
        "put_short takes a 255-byte field");
    size_t capacity = buf.capacity;
    byte *data = buf.data;

    pf_buf_reset (&buf);
    ok (buf.size == 0 && buf.capacity == capacity && buf.data == data,
        "reset forgets the content and keeps the storage");

    //  Growth: many appends past the initial allocation keep every byte
    for (uint32_t index = 0; index < 100000; index++)
        pf_buf_put_u32 (&buf, index);
    bool intact = buf.size == 400000 && buf.capacity >= buf.size;
    for (uint32_t index = 0; intact && index < 100000; index++) {
        const byte *at = buf.data + index * 4;
        intact = ((uint32_t) at [0] << 24 | (uint32_t) at [1] << 16
               |  (uint32_t) at [2] << 8 | at [3]) == index;
    }
    ok (intact, "the buffer grows to 400000 bytes and keeps every value in order");

    pf_buf_free (&buf);
    ok (buf.data == NULL && buf.size == 0 && buf.capacity == 0,
        "free releases the storage and leaves an empty buffer");
    pf_buf_free (&buf);
    ok (buf.data == NULL, "free of an empty buffer is harmless");
}

static void
test_round_trip (void)
{
    pf_buf_t buf = { 0 };
    pf_buf_put_u8 (&buf, 0xFE);
    pf_buf_put_u16 (&buf, 0xBEEF);
    pf_buf_put_u32 (&buf, 0xDEADBEEF);
    pf_buf_put_u64 (&buf, 0xFEDCBA9876543210ULL);
    pf_buf_put_short (&buf, "id-1", 4);
    pf_buf_put_short (&buf, "", 0);
    pf_buf_put_bytes (&buf, "raw", 3);

    pf_reader_t reader;
    pf_reader_init (&reader, buf.data, buf.size);
    ok (!reader.failed && !pf_reader_done (&reader), "a new reader over bytes is neither failed nor done");

    uint8_t u8 = 0;
    uint16_t u16 = 0;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    ok (pf_reader_u8 (&reader, &u8) && u8 == 0xFE, "u8 round trip");
    ok (pf_reader_u16 (&reader, &u16) && u16 == 0xBEEF, "u16 round trip");
    ok (pf_reader_u32 (&reader, &u32) && u32 == 0xDEADBEEF, "u32 round trip");
    ok (pf_reader_u64 (&reader, &u64) && u64 == 0xFEDCBA9876543210ULL, "u64 round trip");

    const byte *data = NULL;
    size_t size = 99;
    ok (pf_reader_short (&reader, &data, &size) && size == 4 && memcmp (data, "id-1", 4) == 0,
        "short field round trip");
    ok (data >= buf.data && data < buf.data + buf.size,
        "a short field points into the received bytes (no copy)");
    ok (pf_reader_short (&reader, &data, &size) && size == 0, "empty short field round trip");
    ok (pf_reader_bytes (&reader, 3, &data) && memcmp (data, "raw", 3) == 0, "bytes round trip");
    ok (pf_reader_done (&reader) && !reader.failed, "the reader is done, not failed, at the end");
    ok (pf_reader_bytes (&reader, 0, &data) && !reader.failed, "taking zero bytes at the end succeeds");
    pf_buf_free (&buf);

    //  Decoding from literal big-endian bytes, independent of the encoder
    const byte wire [] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
    pf_reader_init (&reader, wire, 8);
    ok (pf_reader_u16 (&reader, &u16) && u16 == 0x0102, "u16 reads big-endian bytes 01 02 as 0x0102");
    ok (pf_reader_u32 (&reader, &u32) && u32 == 0x03040506,
        "u32 reads big-endian bytes 03 04 05 06 as 0x03040506");
    pf_reader_init (&reader, wire, 8);
    ok (pf_reader_u64 (&reader, &u64) && u64 == 0x0102030405060708ULL,
        "u64 reads big-endian bytes 01..08 as 0x0102030405060708");

    const byte ones [] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    pf_reader_init (&reader, ones, 8);
    ok (pf_reader_u64 (&reader, &u64) && u64 == UINT64_MAX, "u64 reads eight ff bytes as UINT64_MAX");

    pf_reader_init (&reader, NULL, 0);
    ok (pf_reader_done (&reader) && !reader.failed, "a reader over no bytes is done at once");
}

static void
test_truncation (void)
{
    pf_reader_t reader;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    const byte *data;
    size_t size;
    const byte wire [] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };

    pf_reader_init (&reader, wire, 0);
    ok (!pf_reader_u8 (&reader, &u8) && reader.failed, "u8 from no bytes fails and sets failed");
    pf_reader_init (&reader, wire, 1);
    ok (!pf_reader_u16 (&reader, &u16) && reader.failed, "u16 from 1 byte fails and sets failed");
    pf_reader_init (&reader, wire, 3);
    ok (!pf_reader_u32 (&reader, &u32) && reader.failed, "u32 from 3 bytes fails and sets failed");
    pf_reader_init (&reader, wire, 7);
    ok (!pf_reader_u64 (&reader, &u64) && reader.failed, "u64 from 7 bytes fails and sets failed");
    pf_reader_init (&reader, wire, 7);
    ok (!pf_reader_bytes (&reader, 8, &data) && reader.failed, "8 bytes from 7 fails and sets failed");
    pf_reader_init (&reader, wire, 3);
    ok (!pf_reader_bytes (&reader, SIZE_MAX, &data) && reader.failed,
        "a huge byte count fails without wrapping around");

    //  A short field whose length runs past the end
    const byte short_field [] = { 5, 'a', 'b', 'c' };
    pf_reader_init (&reader, short_field, 4);
    ok (!pf_reader_short (&reader, &data, &size) && reader.failed,
        "a short field longer than the bytes left fails and sets failed");
    pf_reader_init (&reader, short_field, 0);
    ok (!pf_reader_short (&reader, &data, &size) && reader.failed,
        "a short field with no length byte fails and sets failed");

    //  Once failed, the reader stays failed: later gets fail even if bytes remain
    pf_reader_init (&reader, wire, 7);
    ok (pf_reader_u32 (&reader, &u32), "u32 from the first 4 of 7 bytes succeeds");
    ok (!pf_reader_u32 (&reader, &u32), "a second u32 from the 3 bytes left fails");
    ok (reader.failed, "failed is set after the truncated get");
    ok (!pf_reader_u8 (&reader, &u8), "a later u8 fails although a byte remains");
    ok (!pf_reader_u16 (&reader, &u16), "a later u16 fails although 2 bytes remain");
    ok (!pf_reader_bytes (&reader, 0, &data), "a later get of zero bytes fails too");
    ok (!pf_reader_short (&reader, &data, &size), "a later short field fails");
    ok (reader.failed, "failed stays set");
    ok (reader.pos == 4, "failed gets do not move the cursor");

    pf_reader_init (&reader, wire, 7);
    ok (!reader.failed && reader.pos == 0, "init clears failed and rewinds");
}

static void
test_send (void)
{
    zsock_t *writer = zsock_new_pair ("@inproc://test-buf");
    zsock_t *reader = zsock_new_pair (">inproc://test-buf");
    assert (writer && reader);
    zsock_set_rcvtimeo (reader, 2000);

    pf_buf_t buf = { 0 };
    pf_buf_put_u32 (&buf, 0xCAFEF00D);
    pf_buf_put_short (&buf, "frame", 5);
    is_int (pf_buf_send (&buf, writer, 0), 0, "pf_buf_send returns 0");
    ok (buf.data == NULL && buf.size == 0 && buf.capacity == 0,
        "pf_buf_send leaves the buffer empty (the storage went to libzmq)");

    zframe_t *frame = zframe_recv (reader);
    ok (frame && zframe_size (frame) == 10
        && memcmp (zframe_data (frame), "\xCA\xFE\xF0\x0D\x05" "frame", 10) == 0,
        "the peer receives the buffer's bytes as one frame");
    ok (frame && !zframe_more (frame), "without ZMQ_SNDMORE the frame is the last of its message");
    zframe_destroy (&frame);

    //  An empty buffer sends an empty frame
    is_int (pf_buf_send (&buf, writer, 0), 0, "pf_buf_send of an empty buffer returns 0");
    frame = zframe_recv (reader);
    ok (frame && zframe_size (frame) == 0, "an empty buffer arrives as an empty frame");
    zframe_destroy (&frame);

    //  Storage allocated but emptied by reset: still an empty frame, storage freed
    pf_buf_put_u64 (&buf, 1);
    pf_buf_reset (&buf);
    is_int (pf_buf_send (&buf, writer, 0), 0, "pf_buf_send of a reset buffer returns 0");
    ok (buf.data == NULL && buf.capacity == 0, "a reset buffer's storage is released by send");
    frame = zframe_recv (reader);
    ok (frame && zframe_size (frame) == 0, "a reset buffer arrives as an empty frame");
    zframe_destroy (&frame);

    //  ZMQ_SNDMORE makes a multipart message; a raw libzmq handle also works
    pf_buf_put_bytes (&buf, "one", 3);
    is_int (pf_buf_send (&buf, writer, ZMQ_SNDMORE), 0, "pf_buf_send with ZMQ_SNDMORE returns 0");
    pf_buf_put_bytes (&buf, "two", 3);
    is_int (pf_buf_send (&buf, zsock_resolve (writer), 0), 0,
            "pf_buf_send takes a raw libzmq socket handle too");
    zmsg_t *msg = zmsg_recv (reader);
    ok (msg && zmsg_size (msg) == 2, "the two sends arrive as one message of 2 frames");
    if (msg) {
        char *first = zmsg_popstr (msg);
        char *second = zmsg_popstr (msg);
        ok (first && second && streq (first, "one") && streq (second, "two"),
            "the frames arrive in order");
        zstr_free (&first);
        zstr_free (&second);
    }
    zmsg_destroy (&msg);

    //  Failure: a PAIR with no peer cannot send without blocking
    zsock_t *lonely = zsock_new_pair ("@inproc://test-buf-lonely");
    assert (lonely);
    pf_buf_put_bytes (&buf, "lost", 4);
    int rc = pf_buf_send (&buf, lonely, ZMQ_DONTWAIT);
    int error = errno;
    is_int (rc, -1, "pf_buf_send returns -1 when the socket cannot take the frame");
    is_int (error, EAGAIN, "errno is EAGAIN when the send would block");
    ok (buf.data == NULL && buf.size == 0, "the content is dropped on failure");
    zsock_destroy (&lonely);

    pf_buf_free (&buf);
    zsock_destroy (&reader);
    zsock_destroy (&writer);
}

int
main (void)
{
    test_put ();
    test_round_trip ();
    test_truncation ();
    test_send ();
    return done_testing ();
}
