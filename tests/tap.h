//  tap.h - the few TAP helpers the C tests need (Debian ships no C TAP library).
//  Output goes to stdout; automake's tap-driver.sh reads it.

#ifndef TAP_H_INCLUDED
#define TAP_H_INCLUDED

#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

static int tap_count = 0;
static int tap_failed = 0;

static inline int
tap_ok (int pass, const char *file, int line, const char *format, ...)
{
    tap_count++;
    printf ("%s %d - ", pass ? "ok" : "not ok", tap_count);
    va_list args;
    va_start (args, format);
    vprintf (format, args);
    va_end (args);
    printf ("\n");
    if (!pass) {
        tap_failed++;
        printf ("#   failed at %s line %d\n", file, line);
    }
    fflush (stdout);
    return pass;
}

#define ok(cond, ...) tap_ok (!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
    (ok ((long long) (got) == (long long) (want), __VA_ARGS__) \
        ? 1 : (printf ("#   got %lld, want %lld\n", (long long) (got), (long long) (want)), 0))
#define is_str(got, want, ...) \
    (ok (strcmp ((got), (want)) == 0, __VA_ARGS__) \
        ? 1 : (printf ("#   got '%s', want '%s'\n", (got), (want)), 0))
#define diag(...) (printf ("# "), printf (__VA_ARGS__), printf ("\n"))

//  splitmix64: a small, well-mixed, repeatable sequence of 64-bit test
//  values from *state (so a failure can be replayed).
static inline uint64_t
tap_random (uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

//  Print the plan and return the exit status.
static inline int
done_testing (void)
{
    printf ("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
