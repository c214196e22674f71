//  pf_log - one line per event on stderr: time, level, node, event, fields.

#include "pf_classes.h"
#include <syslog.h>

static char s_node [64] = "pushfabric";
static pf_log_level_t s_level = PF_LOG_INFO;
static bool s_json = false;
static bool s_syslog = false;
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

bool
pf_log_limit_pass (pf_log_limit_t *self, int64_t interval_ms, size_t *suppressed)
{
    int64_t now = zclock_mono ();
    if (self->started && now - self->logged_at < interval_ms) {
        self->suppressed++;
        return false;
    }
    *suppressed = self->suppressed;
    self->suppressed = 0;
    self->logged_at = now;
    self->started = true;
    return true;
}

void
pf_log_set_json (bool json)
{
    s_json = json;
}

void
pf_log_set_syslog (bool syslog)
{
    if (syslog && !s_syslog)
        openlog (s_node, LOG_PID, LOG_DAEMON);
    s_syslog = syslog;
}

//  Append text as a JSON string body (no quotes) to line at *used.
static void
s_json_text (char *line, size_t size, size_t *used, const char *text, size_t length)
{
    for (size_t index = 0; index < length && *used + 7 < size; index++) {
        unsigned char c = (unsigned char) text [index];
        if (c == '"' || c == '\\')
            *used += snprintf (line + *used, size - *used, "\\%c", c);
        else
        if (c < 0x20)
            *used += snprintf (line + *used, size - *used, "\\u%04x", c);
        else
            line [(*used)++] = (char) c;
    }
}

//  The message as {"event": ..., "fields": {...}}: fields are the trailing
//  key=value words.
static void
s_json_body (char *line, size_t size, size_t *used, const char *message)
{
    //  The event ends before the first word that holds '=' (key=value)
    const char *event_end = message + strlen (message);
    for (const char *word = message; *word; ) {
        const char *space = strchr (word, ' ');
        const char *end = space ? space : word + strlen (word);
        const char *equals = memchr (word, '=', (size_t) (end - word));
        if (equals && equals > word) {
            event_end = word > message ? word - 1 : word;
            break;
        }
        word = space ? space + 1 : end;
    }
    *used += snprintf (line + *used, size - *used, "\"event\":\"");
    s_json_text (line, size, used, message, (size_t) (event_end - message));
    *used += snprintf (line + *used, size - *used, "\",\"fields\":{");
    bool first = true;
    for (const char *word = *event_end ? event_end + (*event_end == ' ') : event_end;
         *word && *used < size - 16; ) {
        const char *space = strchr (word, ' ');
        const char *end = space ? space : word + strlen (word);
        const char *equals = memchr (word, '=', (size_t) (end - word));
        if (equals) {
            *used += snprintf (line + *used, size - *used, "%s\"", first ? "" : ",");
            s_json_text (line, size, used, word, (size_t) (equals - word));
            *used += snprintf (line + *used, size - *used, "\":\"");
            s_json_text (line, size, used, equals + 1, (size_t) (end - equals - 1));
            *used += snprintf (line + *used, size - *used, "\"");
            first = false;
        }
        word = space ? space + 1 : end;
    }
    *used += snprintf (line + *used, size - *used, "}");
}

void
pf_log (pf_log_level_t level, const char *format, ...)
{
    if (!pf_log_enabled (level))
        return;
    char message [1536];
    va_list args;
    va_start (args, format);
    if (vsnprintf (message, sizeof message, format, args) < 0)
        message [0] = 0;
    va_end (args);
    if (s_syslog) {
        static const int priorities [] = {
            LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR
        };
        syslog (priorities [level], "%s", message);
        return;
    }
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm utc;
    gmtime_r (&now.tv_sec, &utc);
    char stamp [32];
    size_t stamp_size = strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf (stamp + stamp_size, sizeof stamp - stamp_size, ".%03ldZ",
              now.tv_nsec / 1000000);

    char line [4096];
    size_t used;
    if (s_json) {
        used = (size_t) snprintf (line, sizeof line,
                                  "{\"time\":\"%s\",\"level\":\"%s\",\"node\":\"",
                                  stamp, s_names [level]);
        s_json_text (line, sizeof line, &used, s_node, strlen (s_node));
        used += snprintf (line + used, sizeof line - used, "\",");
        s_json_body (line, sizeof line, &used, message);
        used += snprintf (line + used, sizeof line - used, "}");
    }
    else
        used = (size_t) snprintf (line, sizeof line, "%s %s %s %s", stamp, s_names [level],
                                  s_node, message);
    if (used > sizeof line - 2)
        used = sizeof line - 2;
    line [used++] = '\n';
    //  One write per line so that lines of several threads never interleave
    if (write (STDERR_FILENO, line, used) < 0)
        return;
}
