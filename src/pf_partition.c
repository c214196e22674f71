//  pf_partition - which logical partition a message belongs to, and the
//  range lists ("0-31,40") that give partitions to procs. Pure functions,
//  safe from any thread.
//
//  The hash is part of the wire contract: an edge of any version must send
//  a resend to the proc that saw the first copy, or dedupe cannot work.
//  test_partition pins known values so that it cannot change by accident.

#include "pf_classes.h"

#define S_FNV_OFFSET_BASIS  14695981039346656037ULL
#define S_FNV_PRIME         1099511628211ULL

uint32_t
pf_partition_of (const byte *key, size_t key_size, const byte *id,
                 size_t id_size, uint32_t partitions)
{
    assert (partitions > 0);
    //  An empty key means "no ordering": the id still spreads the load
    const byte *data = key_size ? key : id;
    size_t size = key_size ? key_size : id_size;

    uint64_t hash = S_FNV_OFFSET_BASIS;
    for (size_t index = 0; index < size; index++) {
        hash ^= data [index];
        hash *= S_FNV_PRIME;
    }
    return (uint32_t) (hash % partitions);
}

static const char *
s_skip_spaces (const char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    return text;
}

//  Reads a decimal number below limit; returns NULL when there is none or
//  it is too big, else the text after it.
static const char *
s_number (const char *text, uint32_t limit, uint32_t *number)
{
    text = s_skip_spaces (text);
    if (!isdigit ((byte) *text))
        return NULL;
    uint64_t value = 0;
    while (isdigit ((byte) *text)) {
        value = value * 10 + (*text++ - '0');
        if (value >= limit)
            return NULL;
    }
    *number = (uint32_t) value;
    return s_skip_spaces (text);
}

//  Checks the whole list, and marks owned[] only when owned is not NULL,
//  so that a bad list leaves the caller's array as it was.
static int
s_parse (const char *text, uint32_t partitions, bool *owned)
{
    const char *cursor = text;
    while (true) {
        uint32_t low, high;
        cursor = s_number (cursor, partitions, &low);
        if (!cursor)
            return -1;
        high = low;
        if (*cursor == '-') {
            cursor = s_number (cursor + 1, partitions, &high);
            if (!cursor || high < low)
                return -1;
        }
        if (owned)
            for (uint32_t partition = low; partition <= high; partition++)
                owned [partition] = true;
        if (*cursor == 0)
            return 0;
        if (*cursor != ',')
            return -1;
        cursor++;
    }
}

int
pf_partition_parse_ranges (const char *text, uint32_t partitions, bool *owned)
{
    assert (owned);
    if (!text || s_parse (text, partitions, NULL))
        return -1;
    return s_parse (text, partitions, owned);
}
