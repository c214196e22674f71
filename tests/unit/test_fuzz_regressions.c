//  test_fuzz_regressions - every saved fuzz input through the body of its
//  fuzz target (fuzz/fuzz_<target>.c, built here without libFuzzer): the seed
//  corpus in fuzz/corpus/<target>/ and the inputs that once found a bug in
//  fuzz/regressions/<target>/ (absent while none has). A body aborts on a
//  broken promise, and under --enable-sanitizers ASan reports a leak.

#include "pf_classes.h"
#include "../../fuzz/fuzz.h"
#include "../tap.h"
#include <dirent.h>

typedef int (s_body_fn) (const uint8_t *data, size_t size);

static const struct {
    const char *name;
    s_body_fn *body;
} s_targets [] = {
    { "proto_client", pf_fuzz_proto_client },
    { "proto_worker", pf_fuzz_proto_worker },
    { "link", pf_fuzz_link },
    { "config", pf_fuzz_config }
};

static int
s_compare (const void *left, const void *right)
{
    return strcmp (*(char * const *) left, *(char * const *) right);
}

//  Run each file of folder through body, in name order; returns the count.
static size_t
s_run_folder (const char *target, const char *kind, s_body_fn *body)
{
    const char *top = getenv ("top_srcdir");
    char *folder = zsys_sprintf ("%s/fuzz/%s/%s", top ? top : ".", kind, target);
    DIR *dir = opendir (folder);
    if (!dir) {
        zstr_free (&folder);
        return 0;
    }
    char *names [1024];
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)) && count < 1024)
        if (entry->d_name [0] != '.')
            names [count++] = strdup (entry->d_name);
    closedir (dir);
    qsort (names, count, sizeof names [0], s_compare);
    for (size_t index = 0; index < count; index++) {
        char *path = zsys_sprintf ("%s/%s", folder, names [index]);
        zchunk_t *chunk = zchunk_slurp (path, 0);
        ok (chunk != NULL, "%s %s/%s is readable", kind, target, names [index]);
        if (chunk)
            is_int (body (zchunk_data (chunk), zchunk_size (chunk)), 0,
                    "%s %s/%s runs through pf_fuzz_%s", kind, target, names [index], target);
        zchunk_destroy (&chunk);
        zstr_free (&path);
        free (names [index]);
    }
    zstr_free (&folder);
    return count;
}

int
main (void)
{
    for (size_t index = 0; index < sizeof s_targets / sizeof s_targets [0]; index++) {
        size_t seeds = s_run_folder (s_targets [index].name, "corpus", s_targets [index].body);
        ok (seeds > 0, "fuzz/corpus/%s has seeds", s_targets [index].name);
        s_run_folder (s_targets [index].name, "regressions", s_targets [index].body);
    }
    //  The frame splitter the bodies share: count byte, u16 lengths, cut short
    const uint8_t input [] = { 3, 0, 2, 'h', 'i', 0, 9, 'x' };
    zmsg_t *msg = pf_fuzz_frames (input, sizeof input);
    is_int (zmsg_size (msg), 3, "three frames from a count byte of 3");
    ok (zframe_streq (zmsg_first (msg), "hi"), "a frame takes its u16 length");
    ok (zframe_streq (zmsg_next (msg), "x"), "a frame longer than the input is cut short");
    is_int (zframe_size (zmsg_next (msg)), 0, "a frame past the end is empty");
    zmsg_destroy (&msg);
    return done_testing ();
}
