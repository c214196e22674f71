//  pf_config - the fabric configuration file, checked against s_rows.
//  Loaded once by the main thread; read-only afterwards (lookups are a
//  binary search over a sorted array, so threads may share it). The lists
//  of pf_config_nodes keep a cursor: walk each on one thread at a time.
//
//  czmq's zconfig parses the file but keeps no line numbers and prints its
//  syntax errors on stdout, which is for command output. So s_scan reads the
//  text first with zconfig's own rules: it reports a syntax error as one
//  line with its number, and gives each named line a number in file order,
//  which a pre-order walk of the zconfig tree meets one to one.

#include "pf_classes.h"

typedef enum {
    S_INT,                      //  whole number from min to max
    S_STRING,                   //  any text
    S_ENUM,                     //  one of words
    S_ENDPOINT,                 //  tcp://HOST:PORT, ipc://PATH, inproc://NAME
    S_PATH,                     //  a file or folder, relative to the config folder
    S_RANGES,                   //  partition ranges, "0-31,40"
    S_IPLIST,                   //  comma-separated IP addresses, may be empty
    S_HOSTPORT                  //  ADDRESS:PORT for a plain TCP listener
} s_type_t;

typedef struct {
    const char *pattern;        //  "proc/*/max-pending"; '*' is a node name
    s_type_t type;
    const char *fallback;       //  the default, as text; NULL when none
    int64_t min;                //  S_INT only
    int64_t max;                //  S_INT only
    const char *words;          //  S_ENUM only: "normal|full"
    bool required;
} s_row_t;

//  man/pushfabric.cfg.5 documents the same rows: change both together.
static const s_row_t s_rows [] = {
    //  pattern                   type        default    min   max         words, required
    { "fabric/partitions",        S_INT,      "64",      1,    65536,      NULL, false },
    { "fabric/dedupe-window",     S_INT,      "86400",   1,    31536000,   NULL, false },
    { "fabric/max-payload",       S_INT,      "1048576", 0,    268435456,  NULL, false },
    { "fabric/max-batch",         S_INT,      "4194304", 1024, 268435456,  NULL, false },
    { "fabric/keys",              S_PATH,     "keys",    0,    0,          NULL, false },

    { "edge/*/frontend",          S_ENDPOINT, NULL,      0,    0,          NULL, true },
    { "edge/*/control",           S_ENDPOINT, NULL,      0,    0,          NULL, false },
    { "edge/*/reply-timeout",     S_INT,      "2000",    10,   600000,     NULL, false },
    { "edge/*/allow",             S_IPLIST,   NULL,      0,    0,          NULL, false },
    { "edge/*/deny",              S_IPLIST,   NULL,      0,    0,          NULL, false },

    { "proc/*/endpoint",          S_ENDPOINT, NULL,      0,    0,          NULL, true },
    { "proc/*/workers",           S_ENDPOINT, NULL,      0,    0,          NULL, true },
    { "proc/*/control",           S_ENDPOINT, NULL,      0,    0,          NULL, false },
    { "proc/*/db",                S_PATH,     NULL,      0,    0,          NULL, true },
    { "proc/*/partitions",        S_RANGES,   NULL,      0,    0,          NULL, false },
    { "proc/*/synchronous",       S_ENUM,     "normal",  0,    0,
      "normal|full", false },
    { "proc/*/ordering",          S_ENUM,     "relaxed", 0,    0,
      "relaxed|strict", false },
    { "proc/*/max-pending",       S_INT,      "1000000", 1,    1000000000, NULL, false },
    { "proc/*/open-in-memory",    S_INT,      "20000",   1,    1000000000, NULL, false },
    { "proc/*/delivery-timeout",  S_INT,      "30000",   100,  86400000,   NULL, false },
    { "proc/*/heartbeat-timeout", S_INT,      "10000",   100,  3600000,    NULL, false },
    { "proc/*/backlog-alert",     S_INT,      "0",       0,    1000000000, NULL, false },
    { "proc/*/p99-alert",         S_INT,      "0",       0,    86400000,   NULL, false },
    { "proc/*/alert-window",      S_INT,      "10000",   1000, 3600000,    NULL, false },

    { "retry/*/endpoint",         S_ENDPOINT, NULL,      0,    0,          NULL, true },
    { "retry/*/control",          S_ENDPOINT, NULL,      0,    0,          NULL, false },
    { "retry/*/db",               S_PATH,     NULL,      0,    0,          NULL, true },
    { "retry/*/base-delay",       S_INT,      "1000",    1,    86400000,   NULL, false },
    { "retry/*/max-delay",        S_INT,      "3600000", 1,    2147483647, NULL, false },
    { "retry/*/max-attempts",     S_INT,      "8",       1,    1000,       NULL, false },

    //  The walk only reaches depth 3 under a node, so '*' here is a role
    { "*/*/log-level",            S_ENUM,     "info",    0,    0,
      "debug|info|notice|warning|error", false },
    { "*/*/log",                  S_ENUM,     "text",    0,    0,
      "text|json", false },
    { "*/*/log-to",               S_ENUM,     "stderr",  0,    0,
      "stderr|syslog", false },
    { "*/*/metrics",              S_HOSTPORT, NULL,      0,    0,          NULL, false },
};
#define S_ROW_COUNT (sizeof (s_rows) / sizeof (s_rows [0]))

static const char *s_roles [] = { "edge", "proc", "retry" };
#define S_ROLE_COUNT 3

//  Node names also name key pairs under keys/secret, beside these three
static const char *s_reserved [] = { "client", "worker", "admin" };

//  zconfig cuts longer lines; we refuse them instead
#define S_LINE_MAX 1024

typedef struct {
    char *path;                 //  "proc/p1/db"
    const s_row_t *row;
    const char *text;           //  borrowed from the tree, or ""
    int64_t number;             //  S_INT only
    size_t line;                //  0 when unknown
} s_value_t;

typedef struct {
    const char *name;           //  borrowed from the tree
    const char *role;           //  one of s_roles
    size_t line;
} s_node_t;

typedef struct {
    size_t number;              //  line number, from 1
    int level;                  //  indentation / 4
    size_t name_at;             //  offset of the name in text
    size_t name_size;
    bool comment_value;         //  "key =   # note": zconfig takes the note
} s_line_t;                     //  as the value; it is an empty value

struct _pf_config_t {
    char *path;                 //  the file as given
    char *dir;                  //  its folder, absolute when realpath works
    zconfig_t *tree;            //  owns every name and value text
    s_value_t *values;          //  keys given in the file, sorted by path
    size_t value_count;
    s_node_t *nodes;            //  every node, in file order
    size_t node_count;
    zlistx_t *role_nodes [S_ROLE_COUNT];  //  node names per role, file order
    const char **owners;        //  proc name of each partition
    uint32_t partitions;
    bool section_seen [S_ROLE_COUNT + 1];     //  edge, proc, retry, fabric
    size_t section_lines [S_ROLE_COUNT + 1];
    char *text;                 //  the file; only while loading
    s_line_t *lines;            //  its named lines; only while loading
    size_t line_count;
    bool lines_lost;            //  the tree stopped matching the lines
    char *error;                //  the first problem found
};

static int
    s_fail (pf_config_t *self, size_t line, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Keeps the first problem only: one line is what the user sees.
static int
s_fail (pf_config_t *self, size_t line, const char *format, ...)
{
    if (self->error)
        return -1;
    va_list args;
    va_start (args, format);
    char *problem = zsys_vprintf (format, args);
    va_end (args);
    if (line)
        self->error = zsys_sprintf ("%s:%zu: %s", self->path, line, problem);
    else
        self->error = zsys_sprintf ("%s: %s", self->path, problem);
    free (problem);
    return -1;
}


//  --------------------------------------------------------------------------
//  Reading and scanning the text

static int
s_read (pf_config_t *self)
{
    FILE *file = fopen (self->path, "r");
    if (!file)
        return s_fail (self, 0, "cannot read: %s", strerror (errno));
    size_t size = 0;
    size_t limit = 4096;
    self->text = (char *) malloc (limit + 1);
    assert (self->text);
    while (true) {
        size_t got = fread (self->text + size, 1, limit - size, file);
        size += got;
        if (size < limit) {
            //  A folder opens, then fails here with EISDIR
            int error = errno;
            bool failed = ferror (file);
            fclose (file);
            if (failed)
                return s_fail (self, 0, "cannot read: %s", strerror (error));
            break;
        }
        limit *= 2;
        self->text = (char *) realloc (self->text, limit + 1);
        assert (self->text);
    }
    self->text [size] = 0;
    if (strlen (self->text) != size)
        return s_fail (self, 0, "cannot read: not a text file");
    return 0;
}

static bool
s_is_namechar (char c)
{
    return isalnum ((byte) c) || strchr ("$-_@.&+/", c);
}

//  True when only spaces or a comment follow.
static bool
s_is_end (const char *text)
{
    while (isspace ((byte) *text))
        text++;
    return *text == 0 || *text == '#';
}

//  Checks one line (trimmed, NUL-terminated) as zconfig would; records it
//  in lines when it names an item.
static int
s_scan_line (pf_config_t *self, char *line, size_t number, size_t offset,
             int *last_level)
{
    char *cursor = line;
    while (*cursor == ' ')
        cursor++;
    size_t indent = cursor - line;
    if (indent % 4)
        return s_fail (self, number, "syntax error: indent by 4 spaces per level");
    char *name = cursor;
    while (*cursor && s_is_namechar (*cursor))
        cursor++;
    size_t name_size = cursor - name;
    if (name_size == 0) {
        if (s_is_end (cursor))
            return 0;
        if (*cursor == '\t')
            return s_fail (self, number, "syntax error: indent with spaces, not tabs");
        return s_fail (self, number, "syntax error: unexpected '%s'", cursor);
    }
    if (name [0] == '/' || name [name_size - 1] == '/')
        return s_fail (self, number, "syntax error: a name cannot start or end with '/'");
    int level = (int) (indent / 4);
    if (level > *last_level + 1)
        return s_fail (self, number,
                       "syntax error: indented more than one level (4 spaces) "
                       "below the line above");

    bool comment_value = false;
    while (isspace ((byte) *cursor))
        cursor++;
    if (*cursor == '=') {
        cursor++;
        while (isspace ((byte) *cursor))
            cursor++;
        if (*cursor == '"' || *cursor == '\'') {
            char *end = strchr (cursor + 1, *cursor);
            if (!end)
                return s_fail (self, number, "syntax error: missing closing %c", *cursor);
            if (!s_is_end (end + 1))
                return s_fail (self, number,
                               "syntax error: unexpected text after the closing quote");
        }
        else
            comment_value = *cursor == '#';
    }
    else
    if (!s_is_end (cursor)) {
        name [name_size] = 0;
        return s_fail (self, number, "syntax error: expected '=' after '%s'", name);
    }
    *last_level = level;
    s_line_t *entry = &self->lines [self->line_count++];
    entry->number = number;
    entry->level = level;
    entry->name_at = offset + (name - line);
    entry->name_size = name_size;
    entry->comment_value = comment_value;
    return 0;
}

static int
s_scan (pf_config_t *self)
{
    size_t limit = 1;
    for (const char *cursor = self->text; *cursor; cursor++)
        if (*cursor == '\n')
            limit++;
    self->lines = (s_line_t *) calloc (limit, sizeof (s_line_t));
    assert (self->lines);

    int last_level = -1;
    size_t number = 0;
    const char *cursor = self->text;
    while (*cursor) {
        number++;
        const char *end = strchr (cursor, '\n');
        size_t size = end ? (size_t) (end - cursor) : strlen (cursor);
        if (size > S_LINE_MAX)
            return s_fail (self, number, "line is longer than %d characters", S_LINE_MAX);
        char line [S_LINE_MAX + 1];
        memcpy (line, cursor, size);
        while (size && isspace ((byte) line [size - 1]))
            size--;
        line [size] = 0;
        if (s_scan_line (self, line, number, cursor - self->text, &last_level))
            return -1;
        cursor = end ? end + 1 : cursor + size;
        if (!end)
            break;
    }
    return 0;
}


//  --------------------------------------------------------------------------
//  Checking values

static bool
s_matches (const char *pattern, const char *path)
{
    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t size = strcspn (path, "/");
            if (size == 0)
                return false;
            path += size;
            pattern++;
        }
        else
        if (*pattern++ != *path++)
            return false;
    }
    return *pattern == 0 && *path == 0;
}

static const s_row_t *
s_row_find (const char *path)
{
    for (size_t index = 0; index < S_ROW_COUNT; index++)
        if (s_matches (s_rows [index].pattern, path))
            return &s_rows [index];
    return NULL;
}

//  Parses a whole decimal number, optionally negative; no spaces, no '+'.
static bool
s_parse_int (const char *text, int64_t *number)
{
    const char *digits = *text == '-' ? text + 1 : text;
    if (!*digits)
        return false;
    for (const char *cursor = digits; *cursor; cursor++)
        if (!isdigit ((byte) *cursor))
            return false;
    errno = 0;
    long long value = strtoll (text, NULL, 10);
    if (errno)
        return false;
    *number = value;
    return true;
}

static bool
s_is_word (const char *words, const char *text)
{
    size_t size = strlen (text);
    while (*words) {
        size_t word_size = strcspn (words, "|");
        if (size && word_size == size && memcmp (words, text, size) == 0)
            return true;
        words += word_size;
        if (*words)
            words++;
    }
    return false;
}

//  "debug|info|error" as "debug, info or error".
static char *
s_word_list (const char *words)
{
    const char *last = strrchr (words, '|');
    char *phrase = (char *) zmalloc (strlen (words) * 4 + 1);
    assert (phrase);
    char *writer = phrase;
    for (const char *cursor = words; *cursor; cursor++)
        if (*cursor != '|')
            *writer++ = *cursor;
        else
            writer = stpcpy (writer, cursor == last ? " or " : ", ");
    return phrase;
}

static bool
s_is_endpoint (const char *text)
{
    for (const char *cursor = text; *cursor; cursor++)
        if (isspace ((byte) *cursor))
            return false;
    if (strncmp (text, "ipc://", 6) == 0)
        return text [6] != 0;
    if (strncmp (text, "inproc://", 9) == 0)
        return text [9] != 0;
    if (strncmp (text, "tcp://", 6) != 0)
        return false;
    //  A missing port would only show as EINVAL at bind time
    const char *colon = strrchr (text + 6, ':');
    if (!colon || colon == text + 6)
        return false;
    int64_t port;
    return streq (colon + 1, "*")
        || (s_parse_int (colon + 1, &port) && port >= 1 && port <= 65535);
}

int
pf_config_hostport (const char *text, struct sockaddr_storage *address)
{
    const char *colon = strrchr (text, ':');
    int64_t port;
    if (!colon || !s_parse_int (colon + 1, &port) || port < 1 || port > 65535)
        return -1;
    char host [64];
    size_t size = (size_t) (colon - text);
    if (size == 0 || size >= sizeof host)
        return -1;
    memcpy (host, text, size);
    host [size] = 0;
    memset (address, 0, sizeof *address);
    struct sockaddr_in *ipv4 = (struct sockaddr_in *) address;
    struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *) address;
    if (streq (host, "*")) {
        ipv4->sin_family = AF_INET;
        ipv4->sin_addr.s_addr = htonl (INADDR_ANY);
        ipv4->sin_port = htons ((uint16_t) port);
        return 0;
    }
    if (inet_pton (AF_INET, host, &ipv4->sin_addr) == 1) {
        ipv4->sin_family = AF_INET;
        ipv4->sin_port = htons ((uint16_t) port);
        return 0;
    }
    //  An IPv6 address is written in brackets, as in a URL
    if (size > 2 && host [0] == '[' && host [size - 1] == ']') {
        host [size - 1] = 0;
        if (inet_pton (AF_INET6, host + 1, &ipv6->sin6_addr) == 1) {
            ipv6->sin6_family = AF_INET6;
            ipv6->sin6_port = htons ((uint16_t) port);
            return 0;
        }
    }
    return -1;
}

//  Returns NULL when every item of the list is an address, else the first
//  bad item without its spaces (caller frees).
static char *
s_bad_address (const char *text)
{
    const char *cursor = text + strspn (text, " \t");
    if (*cursor == 0)
        return NULL;            //  an empty list
    while (true) {
        size_t size = strcspn (cursor, ",");
        const char *start = cursor + strspn (cursor, " \t");
        size_t length = cursor + size - start;
        while (length && isspace ((byte) start [length - 1]))
            length--;
        char *item = zsys_sprintf ("%.*s", (int) length, start);
        byte address [16];
        if (inet_pton (AF_INET, item, address) != 1
        &&  inet_pton (AF_INET6, item, address) != 1)
            return item;
        free (item);
        cursor += size;
        if (*cursor == 0)
            return NULL;
        cursor++;
    }
}

//  Checks text against the row; ranges wait for s_assign_partitions,
//  which knows fabric/partitions.
static int
s_check_value (pf_config_t *self, s_value_t *value)
{
    const s_row_t *row = value->row;
    const char *text = value->text;
    switch (row->type) {
        case S_INT:
            if (!s_parse_int (text, &value->number)
            ||  value->number < row->min || value->number > row->max)
                return s_fail (self, value->line,
                               "'%s' must be a whole number from %" PRId64 " to %" PRId64
                               ", not '%s'", value->path, row->min, row->max, text);
            return 0;
        case S_ENUM:
            if (!s_is_word (row->words, text)) {
                char *phrase = s_word_list (row->words);
                s_fail (self, value->line, "'%s' must be %s, not '%s'",
                        value->path, phrase, text);
                free (phrase);
                return -1;
            }
            return 0;
        case S_ENDPOINT:
            if (!s_is_endpoint (text))
                return s_fail (self, value->line,
                               "'%s' must be an endpoint (tcp://HOST:PORT, ipc://PATH "
                               "or inproc://NAME), not '%s'", value->path, text);
            return 0;
        case S_PATH:
            if (*text == 0)
                return s_fail (self, value->line, "'%s' must be a path, not empty",
                               value->path);
            return 0;
        case S_IPLIST: {
            char *item = s_bad_address (text);
            if (item) {
                s_fail (self, value->line,
                        "'%s' must be a comma-separated list of IPv4 or IPv6 "
                        "addresses, and '%s' is not one", value->path, item);
                free (item);
                return -1;
            }
            return 0;
        }
        case S_HOSTPORT: {
            struct sockaddr_storage address;
            if (pf_config_hostport (text, &address) == -1)
                return s_fail (self, value->line,
                               "'%s' must be ADDRESS:PORT (an IPv4 address, [IPv6] or *, "
                               "and a port from 1 to 65535), not '%s'", value->path, text);
            return 0;
        }
        case S_STRING:
        case S_RANGES:
            return 0;
    }
    return 0;
}


//  --------------------------------------------------------------------------
//  Walking the tree

static int
s_role_index (const char *role)
{
    for (int index = 0; index < S_ROLE_COUNT; index++)
        if (streq (s_roles [index], role))
            return index;
    return -1;
}

static int
s_add_section (pf_config_t *self, const char *name, const char *text, size_t line)
{
    int index = streq (name, "fabric") ? S_ROLE_COUNT : s_role_index (name);
    if (index < 0)
        return s_fail (self, line,
                       "unknown section '%s' (sections are fabric, edge, proc and retry)",
                       name);
    if (self->section_seen [index])
        return s_fail (self, line, "section '%s' is given twice (first on line %zu)",
                       name, self->section_lines [index]);
    if (*text)
        return s_fail (self, line, "section '%s' takes no value; its keys go on the "
                       "lines below it", name);
    self->section_seen [index] = true;
    self->section_lines [index] = line;
    return 0;
}

static bool
s_is_node_name (const char *name)
{
    if (!isalnum ((byte) *name))
        return false;
    for (const char *cursor = name; *cursor; cursor++)
        if (!isalnum ((byte) *cursor) && !strchr ("._-", *cursor))
            return false;
    return true;
}

static int
s_add_node (pf_config_t *self, const char *role, const char *name, const char *text,
            size_t line)
{
    if (!s_is_node_name (name))
        return s_fail (self, line, "node name '%s/%s' must start with a letter or digit "
                       "and hold only letters, digits, '.', '_' and '-'", role, name);
    for (size_t index = 0; index < sizeof (s_reserved) / sizeof (s_reserved [0]); index++)
        if (streq (name, s_reserved [index]))
            return s_fail (self, line, "node name '%s/%s' is reserved: keys/secret/%s"
                           ".cert_secret is the %s key pair", role, name, name, name);
    for (size_t index = 0; index < self->node_count; index++) {
        s_node_t *other = &self->nodes [index];
        if (streq (other->name, name)) {
            if (other->role == role)
                return s_fail (self, line, "node '%s/%s' is given twice (first on "
                               "line %zu)", role, name, other->line);
            return s_fail (self, line, "node name '%s/%s' is already used by '%s/%s' "
                           "on line %zu; node names must be unique", role, name,
                           other->role, other->name, other->line);
        }
    }
    if (*text)
        return s_fail (self, line, "node '%s/%s' takes no value; its keys go on the "
                       "lines below it", role, name);
    s_node_t *node = &self->nodes [self->node_count++];
    node->name = name;
    node->role = role;
    node->line = line;
    zlistx_add_end (self->role_nodes [s_role_index (role)], (void *) name);
    return 0;
}

static int
s_add_value (pf_config_t *self, const char *path, const char *text, size_t line)
{
    const s_row_t *row = s_row_find (path);
    if (!row)
        return s_fail (self, line, "unknown key '%s'", path);
    for (size_t index = 0; index < self->value_count; index++)
        if (streq (self->values [index].path, path))
            return s_fail (self, line, "'%s' is given twice (first on line %zu)",
                           path, self->values [index].line);
    s_value_t *value = &self->values [self->value_count++];
    value->path = strdup (path);
    assert (value->path);
    value->row = row;
    value->text = text;
    value->line = line;
    return s_check_value (self, value);
}

//  The line of the next tree item in pre-order, and its value as written.
static size_t
s_next_line (pf_config_t *self, zconfig_t *item, int level, size_t *index,
             const char **text)
{
    *text = zconfig_value (item) ? zconfig_value (item) : "";
    if (self->lines_lost || *index >= self->line_count) {
        self->lines_lost = true;
        return 0;
    }
    s_line_t *line = &self->lines [(*index)++];
    const char *name = zconfig_name (item);
    if (line->level != level || strlen (name) != line->name_size
    ||  memcmp (self->text + line->name_at, name, line->name_size) != 0) {
        self->lines_lost = true;
        return 0;
    }
    if (line->comment_value)
        *text = "";
    return line->number;
}

//  Sections at depth 1, fabric keys and nodes at depth 2, node keys at
//  depth 3; everything else is unknown.
static int
s_walk (pf_config_t *self, zconfig_t *parent, const char *parent_path,
        const char *section, int depth, size_t *index)
{
    for (zconfig_t *item = zconfig_child (parent); item; item = zconfig_next (item)) {
        const char *name = zconfig_name (item);
        const char *text;
        size_t line = s_next_line (self, item, depth - 1, index, &text);
        char *path = parent_path ? zsys_sprintf ("%s/%s", parent_path, name)
                                 : strdup (name);
        int rc;
        if (depth == 1)
            rc = s_add_section (self, name, text, line);
        else
        if ((depth == 2 && streq (section, "fabric"))
        ||  (depth == 3 && !streq (section, "fabric")))
            rc = s_add_value (self, path, text, line);
        else
        if (depth == 2) {
            const char *role = s_roles [s_role_index (section)];
            rc = s_add_node (self, role, name, text, line);
        }
        else
            rc = s_fail (self, line, "unknown key '%s'", path);
        if (rc == 0)
            rc = s_walk (self, item, path, depth == 1 ? name : section, depth + 1, index);
        free (path);
        if (rc)
            return -1;
    }
    return 0;
}

static int
s_value_compare (const void *left, const void *right)
{
    return strcmp (((const s_value_t *) left)->path, ((const s_value_t *) right)->path);
}

static const s_value_t *
s_value_find (pf_config_t *self, const char *path)
{
    s_value_t key = { .path = (char *) path };
    return (const s_value_t *) bsearch (&key, self->values, self->value_count,
                                        sizeof (s_value_t), s_value_compare);
}


//  --------------------------------------------------------------------------
//  Whole-file checks, once the tree is walked and values are sorted

static int
s_check_required (pf_config_t *self)
{
    if (!self->section_seen [S_ROLE_COUNT])
        return s_fail (self, 0, "missing section 'fabric'");
    //  Edges and procs are needed; retry is optional for now
    for (int index = 0; index < 2; index++) {
        if (!self->section_seen [index])
            return s_fail (self, 0, "missing section '%s': the fabric needs at "
                           "least one %s node", s_roles [index], s_roles [index]);
        if (zlistx_size (self->role_nodes [index]) == 0)
            return s_fail (self, self->section_lines [index], "section '%s' has no "
                           "node: the fabric needs at least one", s_roles [index]);
    }

    for (size_t index = 0; index < self->node_count; index++) {
        s_node_t *node = &self->nodes [index];
        for (size_t row = 0; row < S_ROW_COUNT; row++) {
            const char *pattern = s_rows [row].pattern;
            size_t size = strlen (node->role);
            if (!s_rows [row].required
            ||  strncmp (pattern, node->role, size) || pattern [size] != '/')
                continue;
            char *path = zsys_sprintf ("%s/%s/%s", node->role, node->name,
                                       strrchr (pattern, '/') + 1);
            int rc = s_value_find (self, path)
                   ? 0 : s_fail (self, 0, "missing key '%s'", path);
            free (path);
            if (rc)
                return -1;
        }
    }
    return 0;
}

static int
s_assign_partitions (pf_config_t *self)
{
    self->partitions = (uint32_t) pf_config_int (self, "fabric/partitions");
    self->owners = (const char **) calloc (self->partitions, sizeof (char *));
    bool *owned = (bool *) malloc (self->partitions * sizeof (bool));
    assert (self->owners && owned);

    //  Explicit ranges first, so that the spread fills what they leave
    size_t spread_procs = 0;
    int rc = 0;
    for (size_t index = 0; index < self->node_count && rc == 0; index++) {
        s_node_t *node = &self->nodes [index];
        if (!streq (node->role, "proc"))
            continue;
        char *path = zsys_sprintf ("proc/%s/partitions", node->name);
        const s_value_t *value = s_value_find (self, path);
        free (path);
        if (!value) {
            spread_procs++;
            continue;
        }
        memset (owned, 0, self->partitions * sizeof (bool));
        if (pf_partition_parse_ranges (value->text, self->partitions, owned))
            rc = s_fail (self, value->line,
                         "'%s' must be partition ranges like 0-31,40 with each "
                         "number below %" PRIu32 ", not '%s'",
                         value->path, self->partitions, value->text);
        for (uint32_t partition = 0; partition < self->partitions && rc == 0; partition++)
            if (owned [partition]) {
                if (self->owners [partition])
                    rc = s_fail (self, value->line,
                                 "partition %" PRIu32 " is owned by both '%s' and '%s'",
                                 partition, self->owners [partition], node->name);
                self->owners [partition] = node->name;
            }
    }
    free (owned);
    if (rc)
        return -1;

    uint32_t unowned = 0;
    uint32_t first_unowned = 0;
    for (uint32_t partition = self->partitions; partition-- > 0;)
        if (!self->owners [partition]) {
            unowned++;
            first_unowned = partition;
        }
    if (unowned && spread_procs == 0)
        return s_fail (self, 0, "partition %" PRIu32 " has no proc: add it to a proc's "
                       "'partitions', or leave one proc without 'partitions'",
                       first_unowned);

    //  Contiguous runs in file order; the first procs take one more
    uint32_t partition = 0;
    size_t spread_index = 0;
    for (size_t index = 0; index < self->node_count; index++) {
        s_node_t *node = &self->nodes [index];
        if (!streq (node->role, "proc"))
            continue;
        char *path = zsys_sprintf ("proc/%s/partitions", node->name);
        bool explicit = s_value_find (self, path) != NULL;
        free (path);
        if (explicit)
            continue;
        uint32_t share = unowned / spread_procs + (spread_index < unowned % spread_procs);
        spread_index++;
        while (share) {
            if (!self->owners [partition]) {
                self->owners [partition] = node->name;
                share--;
            }
            partition++;
        }
    }
    return 0;
}

static char *
s_folder (const char *path)
{
    const char *slash = strrchr (path, '/');
    char *folder = !slash ? strdup (".")
                 : slash == path ? strdup ("/")
                 : zsys_sprintf ("%.*s", (int) (slash - path), path);
    assert (folder);
    char *absolute = realpath (folder, NULL);
    if (absolute) {
        free (folder);
        folder = absolute;
    }
    return folder;
}


//  --------------------------------------------------------------------------
//  Public API

pf_config_t *
pf_config_load (const char *path, char **error)
{
    assert (path);
    if (error)
        *error = NULL;
    pf_config_t *self = (pf_config_t *) zmalloc (sizeof (pf_config_t));
    assert (self);
    self->path = strdup (path);
    self->dir = s_folder (path);
    for (int index = 0; index < S_ROLE_COUNT; index++)
        self->role_nodes [index] = zlistx_new ();

    int rc = s_read (self);
    if (rc == 0)
        rc = s_scan (self);
    if (rc == 0) {
        self->tree = zconfig_load (path);
        if (!self->tree)
            rc = s_fail (self, 0, "syntax error");
    }
    if (rc == 0) {
        //  Each named line gives at most one value or node
        self->values = (s_value_t *) calloc (self->line_count + 1, sizeof (s_value_t));
        self->nodes = (s_node_t *) calloc (self->line_count + 1, sizeof (s_node_t));
        assert (self->values && self->nodes);
        size_t index = 0;
        rc = s_walk (self, self->tree, NULL, NULL, 1, &index);
    }
    if (self->values)
        qsort (self->values, self->value_count, sizeof (s_value_t), s_value_compare);
    if (rc == 0)
        rc = s_check_required (self);
    if (rc == 0)
        rc = s_assign_partitions (self);

    zstr_free (&self->text);
    free (self->lines);
    self->lines = NULL;
    if (rc) {
        if (error) {
            *error = self->error;
            self->error = NULL;
        }
        pf_config_destroy (&self);
    }
    return self;
}

void
pf_config_destroy (pf_config_t **self_p)
{
    assert (self_p);
    pf_config_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->value_count; index++)
        free (self->values [index].path);
    free (self->values);
    free (self->nodes);
    for (int index = 0; index < S_ROLE_COUNT; index++)
        zlistx_destroy (&self->role_nodes [index]);
    free (self->owners);
    zconfig_destroy (&self->tree);
    free (self->text);
    free (self->lines);
    free (self->error);
    free (self->dir);
    free (self->path);
    free (self);
    *self_p = NULL;
}

const char *
pf_config_path (pf_config_t *self)
{
    assert (self);
    return self->path;
}

const char *
pf_config_dir (pf_config_t *self)
{
    assert (self);
    return self->dir;
}

int64_t
pf_config_int (pf_config_t *self, const char *path)
{
    assert (self);
    const s_row_t *row = s_row_find (path);
    assert (row && row->type == S_INT);
    const s_value_t *value = s_value_find (self, path);
    if (value)
        return value->number;
    int64_t number = 0;
    bool parsed = s_parse_int (row->fallback, &number);
    assert (parsed);
    return number;
}

const char *
pf_config_str (pf_config_t *self, const char *path)
{
    assert (self);
    const s_row_t *row = s_row_find (path);
    assert (row);
    const s_value_t *value = s_value_find (self, path);
    if (value)
        return value->text;
    return row->fallback ? row->fallback : "";
}

int64_t
pf_config_node_int (pf_config_t *self, const char *role, const char *name, const char *key)
{
    char path [256];
    snprintf (path, sizeof path, "%s/%s/%s", role, name, key);
    return pf_config_int (self, path);
}

const char *
pf_config_node_str (pf_config_t *self, const char *role, const char *name, const char *key)
{
    char path [256];
    snprintf (path, sizeof path, "%s/%s/%s", role, name, key);
    return pf_config_str (self, path);
}

char *
pf_config_file (pf_config_t *self, const char *path)
{
    assert (self);
    const s_row_t *row = s_row_find (path);
    assert (row && row->type == S_PATH);
    const char *file = pf_config_str (self, path);
    char *resolved;
    if (*file == '/')
        resolved = strdup (file);
    else
    if (streq (self->dir, "/"))
        resolved = zsys_sprintf ("/%s", file);
    else
        resolved = zsys_sprintf ("%s/%s", self->dir, file);
    assert (resolved);
    return resolved;
}

zlistx_t *
pf_config_nodes (pf_config_t *self, const char *role)
{
    assert (self);
    int index = s_role_index (role);
    assert (index >= 0);
    return self->role_nodes [index];
}

const char *
pf_config_role_of (pf_config_t *self, const char *name)
{
    assert (self);
    for (size_t index = 0; index < self->node_count; index++)
        if (streq (self->nodes [index].name, name))
            return self->nodes [index].role;
    return NULL;
}

const char **
pf_config_partition_owners (pf_config_t *self)
{
    assert (self);
    return self->owners;
}
