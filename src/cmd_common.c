//  cmd_common - what every subcommand shares: errors, usage, the config file.

#include "cmd.h"

void
cmd_fatal (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "pushfabric: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    exit (1);
}

void
cmd_help (const char *usage)
{
    fputs (usage, stdout);
    exit (0);
}

void
cmd_usage_error (const char *usage, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "pushfabric: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    fputs (usage, stderr);
    exit (2);
}

const char *
cmd_config_path (const char *option)
{
    if (option)
        return option;
    const char *environment = getenv ("PUSHFABRIC_CONFIG");
    return environment && *environment ? environment : "./fabric.cfg";
}

pf_config_t *
cmd_load_config (const char *path)
{
    char *error = NULL;
    pf_config_t *config = pf_config_load (path, &error);
    if (!config)
        cmd_fatal ("%s", error ? error : "cannot load configuration");
    return config;
}

bool
cmd_common_option (int option, const char *usage, const char **config_path)
{
    switch (option) {
        case 'c':
            *config_path = optarg;
            return true;
        case 'v':
            pf_log_set_level (PF_LOG_DEBUG);
            return true;
        case 'h':
            cmd_help (usage);
        default:
            return false;
    }
}

long long
cmd_number (const char *usage, const char *name, const char *text,
            long long min, long long max)
{
    char *end = NULL;
    errno = 0;
    long long value = strtoll (text, &end, 10);
    if (errno || !*text || *end || value < min || value > max)
        cmd_usage_error (usage, "%s must be a number from %lld to %lld, not '%s'",
                         name, min, max, text);
    return value;
}
