//  test_partition - pf_partition: which partition a message belongs to,
//  and the range lists that give partitions to procs.

#include "pf_classes.h"
#include "../tap.h"

static uint32_t
s_of_key (const char *key, uint32_t partitions)
{
    return pf_partition_of ((const byte *) key, strlen (key), (const byte *) "id", 2,
                            partitions);
}

static int
s_parse (const char *text, uint32_t partitions, bool *owned)
{
    memset (owned, 0, partitions * sizeof (bool));
    return pf_partition_parse_ranges (text, partitions, owned);
}

static int
s_count (const bool *owned, uint32_t partitions)
{
    int count = 0;
    for (uint32_t index = 0; index < partitions; index++)
        count += owned [index];
    return count;
}

static void
test_hash (void)
{
    //  These numbers are part of the contract: every edge of every version
    //  must send a key to the same proc. Never change them.
    is_int (s_of_key ("user-42", 64), 11, "key 'user-42' is in partition 11 of 64");
    is_int (s_of_key ("user-42", 65536), 56011,
            "key 'user-42' is in partition 56011 of 65536");
    is_int (s_of_key ("order-1001", 64), 12, "key 'order-1001' is in partition 12 of 64");
    //  FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the published test vector)
    is_int (s_of_key ("a", 65536), 0xec8c,
            "key 'a' hashes to the FNV-1a test vector, low 16 bits");
    is_int (s_of_key ("a", 7), 0xaf63dc4c8601ec8cULL % 7,
            "key 'a' hashes to the FNV-1a test vector, modulo 7");

    is_int (pf_partition_of ((const byte *) "user-42", 7,
                             (const byte *) "other-id", 8, 64), 11,
            "a non-empty key decides the partition, whatever the id");
    is_int (pf_partition_of (NULL, 0, (const byte *) "user-42", 7, 64), 11,
            "an empty key uses the id instead");
    is_int (pf_partition_of ((const byte *) "", 0, (const byte *) "", 0, 64),
            14695981039346656037ULL % 64,
            "an empty key and an empty id give the FNV offset basis");
    is_int (s_of_key ("anything", 1), 0,
            "with one partition everything is in partition 0");

    const byte binary [3] = { 0, 0xff, 0 };
    is_int (pf_partition_of (binary, 3, NULL, 0, 65536), 46112,
            "a key may hold any bytes: 00 ff 00 is in partition 46112 of 65536");
    is_int (pf_partition_of (binary, 1, NULL, 0, 65536), 47071,
            "the key's size counts, not a NUL: 00 is in partition 47071 of 65536");
}

static void
test_spread (void)
{
    //  64000 random 16-byte keys: each of 64 partitions expects 1000 of them,
    //  standard deviation about 31, so +-200 never fails by chance
    int counts [64] = { 0 };
    for (int index = 0; index < 64000; index++) {
        byte key [16];
        randombytes_buf (key, sizeof (key));
        counts [pf_partition_of (key, sizeof (key), NULL, 0, 64)]++;
    }
    int low = 64000, high = 0;
    for (int index = 0; index < 64; index++) {
        low = counts [index] < low ? counts [index] : low;
        high = counts [index] > high ? counts [index] : high;
    }
    ok (low >= 800 && high <= 1200,
        "random keys spread evenly over 64 partitions (fullest %d, emptiest %d)",
        high, low);

    //  Keys that differ only in their last character still spread
    int used [64] = { 0 };
    for (int index = 0; index < 6400; index++) {
        char key [32];
        snprintf (key, sizeof (key), "customer-%d", index);
        used [s_of_key (key, 64)]++;
    }
    int empty = 0;
    for (int index = 0; index < 64; index++)
        empty += used [index] < 50;
    is_int (empty, 0, "sequential keys customer-0..6399 reach every partition fairly");
}

static void
test_ranges (void)
{
    bool owned [65536];
    is_int (s_parse ("0-31,40,48-63", 64, owned), 0, "'0-31,40,48-63' parses");
    ok (owned [0] && owned [31] && owned [40] && owned [48] && owned [63]
        && !owned [32] && !owned [39] && !owned [41] && !owned [47],
        "'0-31,40,48-63' marks exactly 0..31, 40 and 48..63");
    is_int (s_count (owned, 64), 49, "'0-31,40,48-63' marks 49 partitions");

    is_int (s_parse (" 0 - 3 , 5 ", 64, owned), 0, "spaces around numbers are allowed");
    is_int (s_count (owned, 64), 5, "' 0 - 3 , 5 ' marks 0, 1, 2, 3 and 5");
    is_int (s_parse ("7", 64, owned), 0, "a single number parses");
    ok (owned [7] && s_count (owned, 64) == 1, "'7' marks partition 7 only");
    is_int (s_parse ("5-5", 64, owned), 0, "a range of one ('5-5') parses");
    is_int (s_parse ("3,1-2,0", 64, owned), 0, "items may come in any order");
    is_int (s_count (owned, 64), 4, "'3,1-2,0' marks 0..3");
    is_int (s_parse ("0-3,2-5", 64, owned), 0, "items may overlap within one list");
    is_int (s_count (owned, 64), 6, "'0-3,2-5' marks 0..5");
    is_int (s_parse ("0-65535", 65536, owned), 0,
            "'0-65535' parses with 65536 partitions");
    is_int (s_count (owned, 65536), 65536, "'0-65535' marks all 65536 partitions");

    memset (owned, 0, sizeof (bool) * 64);
    owned [60] = true;
    pf_partition_parse_ranges ("0-1", 64, owned);
    ok (owned [60] && owned [0] && owned [1],
        "parsing adds to owned[] and clears nothing");

    const char *bad [][2] = {
        { "",                       "an empty list" },
        { "   ",                    "a list of spaces" },
        { ",",                      "a lone comma" },
        { "1,",                     "a trailing comma" },
        { ",1",                     "a leading comma" },
        { "1,,2",                   "an empty item" },
        { "0-",                     "a range without its end" },
        { "-3",                     "a range without its start" },
        { "-1",                     "a negative number" },
        { "+1",                     "a number with a plus sign" },
        { "3-1",                    "a range that runs backwards" },
        { "64",                     "a number equal to the partition count" },
        { "0-64",                   "a range that ends past the last partition" },
        { "99999999999999999999",   "a number too big for any integer" },
        { "1-2-3",                  "a range with two dashes" },
        { "1 2",                    "two numbers without a comma" },
        { "0-31;40",                "a semicolon for a comma" },
        { "a",                      "a word" },
        { "1x",                     "a number with a letter after it" },
        { "0x10",                   "a hexadecimal number" },
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        memset (owned, 0, sizeof (bool) * 64);
        int rc = pf_partition_parse_ranges (bad [index][0], 64, owned);
        ok (rc == -1 && s_count (owned, 64) == 0,
            "%s ('%s') is refused and marks nothing", bad [index][1], bad [index][0]);
    }
    is_int (pf_partition_parse_ranges ("0", 0, owned), -1,
            "with zero partitions every number is out of range");
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    test_hash ();
    test_spread ();
    test_ranges ();
    return done_testing ();
}
