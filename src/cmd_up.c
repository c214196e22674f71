#include "cmd.h"
int cmd_up (int argc, char **argv) { cmd_fatal ("not yet"); }
