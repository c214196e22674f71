//  pf_log - one line per event on stderr: time, level, node, event, fields.

#include "pf_classes.h"

static char s_node [64] = "pushfabric";
static pf_log_level_t s_level = PF_LOG_INFO;
static const char *s_names [] = { "debug", "info", "notice", "warning", "error" };

void
pf_log_set_node (const char *node)
{
    snprintf (s_node, sizeof s_node, "%s", node);
}

void
pf_log_set_level (pf_log_level_t level)
{
    s_level = level;
}

int
pf_log_level_parse (const char *name, pf_log_level_t *level)
{
    for (int index = 0; index <= PF_LOG_ERROR; index++)
        if (streq (name, s_names [index])) {
            *level = (pf_log_level_t) index;
            return 0;
        }
    return -1;
}

bool
pf_log_enabled (pf_log_level_t level)
{
    return level >= s_level;
}

void
pf_log (pf_log_level_t level, const char *format, ...)
{
    if (!pf_log_enabled (level))
        return;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm utc;
    gmtime_r (&now.tv_sec, &utc);

    char line [2048];
    size_t used = strftime (line, sizeof line, "%Y-%m-%dT%H:%M:%S", &utc);
    used += snprintf (line + used, sizeof line - used, ".%03ldZ %s %s ",
                      now.tv_nsec / 1000000, s_names [level], s_node);
    va_list args;
    va_start (args, format);
    int written = vsnprintf (line + used, sizeof line - used - 1, format, args);
    va_end (args);
    if (written < 0)
        written = 0;
    used = used + (size_t) written;
    if (used > sizeof line - 2)
        used = sizeof line - 2;
    line [used++] = '\n';
    //  One write per line so that lines of several threads never interleave
    if (write (STDERR_FILENO, line, used) < 0)
        return;
}
