//  pf_buf - a growable byte buffer for encoding batch frames, and a reader
//  that decodes big-endian integers and length-prefixed fields safely.

#ifndef PF_BUF_H_INCLUDED
#define PF_BUF_H_INCLUDED

typedef struct {
    byte *data;         //  heap storage, NULL until the first append
    size_t size;        //  bytes used
    size_t capacity;    //  bytes allocated
} pf_buf_t;

//  Append helpers grow the buffer as needed (abort on out-of-memory, like czmq).
void pf_buf_put_u8 (pf_buf_t *self, uint8_t value);
void pf_buf_put_u16 (pf_buf_t *self, uint16_t value);
void pf_buf_put_u32 (pf_buf_t *self, uint32_t value);
void pf_buf_put_u64 (pf_buf_t *self, uint64_t value);
void pf_buf_put_bytes (pf_buf_t *self, const void *data, size_t size);
//  u8 length then the bytes; the caller guarantees size <= 255.
void pf_buf_put_short (pf_buf_t *self, const void *data, size_t size);

//  Send the content as one frame on socket (a zsock_t or libzmq handle),
//  handing the storage to libzmq without a copy; the buffer is left empty.
//  flags as for zmq_msg_send (ZMQ_SNDMORE, ZMQ_DONTWAIT). Returns 0, or -1
//  with errno set, in which case the content is dropped.
int pf_buf_send (pf_buf_t *self, void *socket, int flags);

//  Forget the content, keep the storage.
void pf_buf_reset (pf_buf_t *self);

//  Free the storage.
void pf_buf_free (pf_buf_t *self);

//  A cursor over received bytes. Every get returns false, and sets failed,
//  when the bytes run out; the caller checks failed once at the end.
typedef struct {
    const byte *data;
    size_t size;
    size_t pos;
    bool failed;
} pf_reader_t;

void pf_reader_init (pf_reader_t *self, const void *data, size_t size);
bool pf_reader_done (pf_reader_t *self);
bool pf_reader_u8 (pf_reader_t *self, uint8_t *value);
bool pf_reader_u16 (pf_reader_t *self, uint16_t *value);
bool pf_reader_u32 (pf_reader_t *self, uint32_t *value);
bool pf_reader_u64 (pf_reader_t *self, uint64_t *value);
//  Points *data at size bytes inside the buffer (no copy).
bool pf_reader_bytes (pf_reader_t *self, size_t size, const byte **data);
//  u8 length then the bytes.
bool pf_reader_short (pf_reader_t *self, const byte **data, size_t *size);

#endif
