#include "cmd.h"
int cmd_init (int argc, char **argv) { cmd_fatal ("not yet"); }
