//  fuzz_config - the configuration loader: the input is written to a file
//  (one fixed path per process, in a folder made once and removed at exit)
//  and loaded; a good file is read back through the accessors the nodes use.

#include "fuzz.h"
#include <unistd.h>

static char s_dir [64];
static char s_path [96];

static void
s_cleanup (void)
{
    unlink (s_path);
    rmdir (s_dir);
}

static void
s_check_loaded (pf_config_t *config)
{
    int64_t partitions = pf_config_int (config, "fabric/partitions");
    PF_FUZZ_CHECK (partitions >= 1 && partitions <= 65536);
    pf_config_int (config, "fabric/max-payload");
    char *keys = pf_config_file (config, "fabric/keys");
    PF_FUZZ_CHECK (keys != NULL);
    free (keys);
    const char *roles [] = { "edge", "proc", "retry" };
    for (size_t role = 0; role < 3; role++) {
        zlistx_t *nodes = pf_config_nodes (config, roles [role]);
        PF_FUZZ_CHECK (nodes != NULL);
        for (const char *name = (const char *) zlistx_first (nodes); name;
             name = (const char *) zlistx_next (nodes)) {
            const char *role_of = pf_config_role_of (config, name);
            PF_FUZZ_CHECK (role_of && streq (role_of, roles [role]));
        }
    }
    //  Every partition has an owner, and every owner is a proc
    const char **owners = pf_config_partition_owners (config);
    PF_FUZZ_CHECK (owners != NULL);
    const char *last = NULL;
    for (int64_t index = 0; index < partitions; index++) {
        PF_FUZZ_CHECK (owners [index] != NULL);
        if (owners [index] == last)
            continue;       //  role_of is a linear search; owners come in runs
        last = owners [index];
        const char *role_of = pf_config_role_of (config, last);
        PF_FUZZ_CHECK (role_of && streq (role_of, "proc"));
    }
}

int
pf_fuzz_config (const uint8_t *data, size_t size)
{
    if (!*s_dir) {
        snprintf (s_dir, sizeof s_dir, "/tmp/pf-fuzz-config.XXXXXX");
        PF_FUZZ_CHECK (mkdtemp (s_dir) != NULL);
        snprintf (s_path, sizeof s_path, "%s/fabric.cfg", s_dir);
        atexit (s_cleanup);
    }
    FILE *file = fopen (s_path, "wb");
    PF_FUZZ_CHECK (file != NULL);
    PF_FUZZ_CHECK (fwrite (data, 1, size, file) == size);
    PF_FUZZ_CHECK (fclose (file) == 0);

    char *error = NULL;
    pf_config_t *config = pf_config_load (s_path, &error);
    if (config) {
        PF_FUZZ_CHECK (error == NULL);
        s_check_loaded (config);
        pf_config_destroy (&config);
        PF_FUZZ_CHECK (config == NULL);
    }
    else {
        PF_FUZZ_CHECK (error != NULL && *error);
        free (error);
    }
    return 0;
}

PF_FUZZ_TARGET (config)
