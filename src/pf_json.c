//  pf_json - JSON text into a pf_buf.

#include "pf_classes.h"

void
pf_json_append (pf_buf_t *buf, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    assert (text);
    pf_buf_put_bytes (buf, text, strlen (text));
    free (text);
}

//  Length of the valid UTF-8 sequence at data (at most size bytes), or 0.
static size_t
s_utf8_length (const byte *data, size_t size)
{
    byte first = data [0];
    size_t length;
    uint32_t min;
    if (first < 0x80)
        return 1;
    else
    if ((first & 0xE0) == 0xC0) {
        length = 2;
        min = 0x80;
    }
    else
    if ((first & 0xF0) == 0xE0) {
        length = 3;
        min = 0x800;
    }
    else
    if ((first & 0xF8) == 0xF0) {
        length = 4;
        min = 0x10000;
    }
    else
        return 0;
    if (length > size)
        return 0;
    uint32_t point = first & (0x7F >> length);
    for (size_t index = 1; index < length; index++) {
        if ((data [index] & 0xC0) != 0x80)
            return 0;
        point = (point << 6) | (data [index] & 0x3F);
    }
    //  No overlong forms, surrogates, or points past U+10FFFF
    if (point < min || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF))
        return 0;
    return length;
}

void
pf_json_put_string (pf_buf_t *buf, const void *data, size_t size)
{
    const byte *bytes = (const byte *) data;
    pf_buf_put_u8 (buf, '"');
    size_t at = 0;
    while (at < size) {
        byte c = bytes [at];
        if (c == '"' || c == '\\') {
            pf_buf_put_u8 (buf, '\\');
            pf_buf_put_u8 (buf, c);
            at++;
        }
        else
        if (c < 0x20 || c == 0x7F) {
            char escape [8];
            snprintf (escape, sizeof escape, "\\u%04x", c);
            pf_buf_put_bytes (buf, escape, 6);
            at++;
        }
        else {
            size_t length = s_utf8_length (bytes + at, size - at);
            if (length) {
                pf_buf_put_bytes (buf, bytes + at, length);
                at += length;
            }
            else {
                pf_buf_put_bytes (buf, "\\ufffd", 6);
                at++;
            }
        }
    }
    pf_buf_put_u8 (buf, '"');
}

void
pf_json_put_hex (pf_buf_t *buf, const void *data, size_t size)
{
    static const char digits [] = "0123456789abcdef";
    const byte *bytes = (const byte *) data;
    pf_buf_put_u8 (buf, '"');
    for (size_t index = 0; index < size; index++) {
        pf_buf_put_u8 (buf, (uint8_t) digits [bytes [index] >> 4]);
        pf_buf_put_u8 (buf, (uint8_t) digits [bytes [index] & 15]);
    }
    pf_buf_put_u8 (buf, '"');
}
