//  pf_buf - growable encode buffer and bounds-checked reader.

#include "pf_classes.h"

static void
s_reserve (pf_buf_t *self, size_t extra)
{
    if (self->size + extra <= self->capacity)
        return;
    size_t capacity = self->capacity ? self->capacity : 256;
    while (capacity < self->size + extra)
        capacity *= 2;
    self->data = (byte *) realloc (self->data, capacity);
    assert (self->data);
    self->capacity = capacity;
}

void
pf_buf_put_u8 (pf_buf_t *self, uint8_t value)
{
    s_reserve (self, 1);
    self->data [self->size++] = value;
}

void
pf_buf_put_u16 (pf_buf_t *self, uint16_t value)
{
    s_reserve (self, 2);
    self->data [self->size++] = (byte) (value >> 8);
    self->data [self->size++] = (byte) value;
}

void
pf_buf_put_u32 (pf_buf_t *self, uint32_t value)
{
    s_reserve (self, 4);
    for (int shift = 24; shift >= 0; shift -= 8)
        self->data [self->size++] = (byte) (value >> shift);
}

void
pf_buf_put_u64 (pf_buf_t *self, uint64_t value)
{
    s_reserve (self, 8);
    for (int shift = 56; shift >= 0; shift -= 8)
        self->data [self->size++] = (byte) (value >> shift);
}

void
pf_buf_put_bytes (pf_buf_t *self, const void *data, size_t size)
{
    if (size == 0)
        return;
    s_reserve (self, size);
    memcpy (self->data + self->size, data, size);
    self->size += size;
}

void
pf_buf_put_short (pf_buf_t *self, const void *data, size_t size)
{
    assert (size <= 255);
    pf_buf_put_u8 (self, (uint8_t) size);
    pf_buf_put_bytes (self, data, size);
}

static void
s_free_data (void *data, void *hint)
{
    (void) hint;
    free (data);
}

int
pf_buf_send (pf_buf_t *self, void *socket, int flags)
{
    zmq_msg_t msg;
    if (self->size == 0)
        zmq_msg_init (&msg);
    else
        zmq_msg_init_data (&msg, self->data, self->size, s_free_data, NULL);
    //  libzmq owns the storage from here, sent or not
    if (self->size == 0)
        free (self->data);
    self->data = NULL;
    self->size = 0;
    self->capacity = 0;
    void *handle = zsock_is (socket) ? zsock_resolve (socket) : socket;
    if (zmq_msg_send (&msg, handle, flags) == -1) {
        int saved = errno;
        zmq_msg_close (&msg);
        errno = saved;
        return -1;
    }
    return 0;
}

void
pf_buf_reset (pf_buf_t *self)
{
    self->size = 0;
}

void
pf_buf_free (pf_buf_t *self)
{
    free (self->data);
    self->data = NULL;
    self->size = 0;
    self->capacity = 0;
}

void
pf_reader_init (pf_reader_t *self, const void *data, size_t size)
{
    self->data = (const byte *) data;
    self->size = size;
    self->pos = 0;
    self->failed = false;
}

bool
pf_reader_done (pf_reader_t *self)
{
    return self->pos == self->size;
}

static bool
s_take (pf_reader_t *self, size_t size, const byte **data)
{
    if (self->failed || size > self->size - self->pos) {
        self->failed = true;
        return false;
    }
    *data = self->data + self->pos;
    self->pos += size;
    return true;
}

static bool
s_get_uint (pf_reader_t *self, size_t width, uint64_t *value)
{
    const byte *data;
    if (!s_take (self, width, &data))
        return false;
    uint64_t result = 0;
    for (size_t index = 0; index < width; index++)
        result = (result << 8) | data [index];
    *value = result;
    return true;
}

bool
pf_reader_u8 (pf_reader_t *self, uint8_t *value)
{
    uint64_t wide = 0;
    bool ok = s_get_uint (self, 1, &wide);
    *value = (uint8_t) wide;
    return ok;
}

bool
pf_reader_u16 (pf_reader_t *self, uint16_t *value)
{
    uint64_t wide = 0;
    bool ok = s_get_uint (self, 2, &wide);
    *value = (uint16_t) wide;
    return ok;
}

bool
pf_reader_u32 (pf_reader_t *self, uint32_t *value)
{
    uint64_t wide = 0;
    bool ok = s_get_uint (self, 4, &wide);
    *value = (uint32_t) wide;
    return ok;
}

bool
pf_reader_u64 (pf_reader_t *self, uint64_t *value)
{
    return s_get_uint (self, 8, value);
}

bool
pf_reader_bytes (pf_reader_t *self, size_t size, const byte **data)
{
    return s_take (self, size, data);
}

bool
pf_reader_short (pf_reader_t *self, const byte **data, size_t *size)
{
    uint8_t length;
    if (!pf_reader_u8 (self, &length))
        return false;
    *size = length;
    return s_take (self, length, data);
}
