//  pf_json - appending JSON text to a pf_buf: strings from any bytes,
//  hex strings, and formatted text. For the control replies (dlq list,
//  and later stats); writing only, no parser.

#ifndef PF_JSON_H_INCLUDED
#define PF_JSON_H_INCLUDED

//  Append formatted text as is.
void
    pf_json_append (pf_buf_t *buf, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Append a quoted JSON string of the bytes: valid UTF-8 is kept, control
//  characters, quote and backslash are escaped, and each byte that is not
//  valid UTF-8 becomes U+FFFD.
void
    pf_json_put_string (pf_buf_t *buf, const void *data, size_t size);

//  Append a quoted string of the bytes in lowercase hex.
void
    pf_json_put_hex (pf_buf_t *buf, const void *data, size_t size);

#endif
