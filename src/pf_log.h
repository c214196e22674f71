//  pf_log - one line per event on stderr: time, level, node, event, fields.
//  Thread-safe (a single write per line). The node name is process-wide.

#ifndef PF_LOG_H_INCLUDED
#define PF_LOG_H_INCLUDED

typedef enum {
    PF_LOG_DEBUG = 0,
    PF_LOG_INFO,
    PF_LOG_NOTICE,
    PF_LOG_WARNING,
    PF_LOG_ERROR
} pf_log_level_t;

//  Name this process in every line, e.g. "proc/p1". Copies the name.
void
    pf_log_set_node (const char *node);

//  Lines below this level are dropped. Default PF_LOG_INFO.
void
    pf_log_set_level (pf_log_level_t level);

//  Parse "debug", "info", "notice", "warning", "error". Returns -1 if unknown.
int
    pf_log_level_parse (const char *name, pf_log_level_t *level);

bool
    pf_log_enabled (pf_log_level_t level);

//  Write each line as a JSON object ({"time", "level", "node", "event",
//  "fields": {key: value}}) instead of text; the event is the message up to
//  its first key=value field.
void
    pf_log_set_json (bool json);

//  Send lines to syslog (facility daemon, ident the node name) instead of
//  stderr.
void
    pf_log_set_syslog (bool syslog);

//  Log one line: "2026-11-27T10:00:00.123Z notice proc/p1 ready endpoint=..."
void
    pf_log (pf_log_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  A rate limit for a kind of line that may repeat (refusals, NACKs): at
//  most one line per interval, counting the ones held back. Zeroed to start;
//  belongs to one thread.
typedef struct {
    int64_t logged_at;          //  monotonic ms of the last line let through
    size_t suppressed;          //  lines held back since then
    bool started;               //  a line has been let through
} pf_log_limit_t;

//  True if a line may be written now (then *suppressed says how many were
//  held back since the last one, and the count restarts); false if it is
//  held back (and counted).
bool
    pf_log_limit_pass (pf_log_limit_t *self, int64_t interval_ms, size_t *suppressed);

#define pf_debug(...)   do { if (pf_log_enabled (PF_LOG_DEBUG)) pf_log (PF_LOG_DEBUG, __VA_ARGS__); } while (0)
#define pf_info(...)    pf_log (PF_LOG_INFO, __VA_ARGS__)
#define pf_notice(...)  pf_log (PF_LOG_NOTICE, __VA_ARGS__)
#define pf_warning(...) pf_log (PF_LOG_WARNING, __VA_ARGS__)
#define pf_error(...)   pf_log (PF_LOG_ERROR, __VA_ARGS__)

#endif
